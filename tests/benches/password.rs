//! How long one argon2id hash and one verification take with Kotae's parameters.
//! Run: cargo bench --bench password

use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runs = 25;
    let hashes: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let _ = kotae::password::hash_now("correct horse battery staple").expect("hash");
            started.elapsed()
        })
        .collect();
    let stored = kotae::password::hash_now("correct horse battery staple").expect("hash");
    let verifies: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            assert!(kotae::password::verify_now(
                "correct horse battery staple",
                Some(&stored)
            ));
            started.elapsed()
        })
        .collect();
    println!("argon2id m=19456 KiB t=2 p=1, {runs} runs each");
    println!(
        "hash:   median {:.1} ms",
        median(hashes).as_secs_f64() * 1000.0
    );
    println!(
        "verify: median {:.1} ms",
        median(verifies).as_secs_f64() * 1000.0
    );
}
