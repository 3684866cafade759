//! The markdown pipeline a post goes through once, when it is written: pulldown-cmark renders,
//! ammonia sanitises. Posts of realistic length in English and Japanese, with the markdown
//! people use in support threads (emphasis, lists, links, code, quotes).
//! Run: cargo bench --bench markdown

use std::time::{Duration, Instant};

use kotae::corpus::Corpus;

const POSTS: usize = 2_000;

/// One post: paragraphs of natural text with a little markdown of each kind mixed in.
fn post(corpus: &mut Corpus, japanese: bool) -> String {
    let mut out = String::new();
    let paragraphs = 1 + corpus.rng.below(4);
    for p in 0..paragraphs {
        let words = 15 + corpus.rng.below(60);
        let text = corpus.text(japanese, words);
        match (p + corpus.rng.below(6)) % 6 {
            0 => out.push_str(&format!("**{text}**")),
            1 => {
                for line in text.split(['.', '。']).filter(|l| !l.trim().is_empty()) {
                    out.push_str(&format!("- {}\n", line.trim()));
                }
            }
            2 => out.push_str(&format!(
                "{text} See [the manual](https://example.com/manual)."
            )),
            3 => out.push_str(&format!("```\nerror E{}: tray 2\n```\n{text}", p * 7)),
            4 => out.push_str(&format!("> {text}")),
            _ => out.push_str(&text),
        }
        out.push_str("\n\n");
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let mut corpus = Corpus::new(7);
    let posts: Vec<String> = (0..POSTS).map(|i| post(&mut corpus, i % 3 == 0)).collect();
    let bytes: usize = posts.iter().map(String::len).sum();
    for p in posts.iter().take(200) {
        kotae::markdown::to_html(p); // warm up
    }
    let started = Instant::now();
    let mut times: Vec<Duration> = posts
        .iter()
        .map(|p| {
            let one = Instant::now();
            let html = kotae::markdown::to_html(p);
            assert!(!html.is_empty());
            one.elapsed()
        })
        .collect();
    let total = started.elapsed();
    times.sort();
    println!(
        "markdown to safe HTML, {POSTS} posts of {} bytes on average (a third Japanese):",
        bytes / POSTS
    );
    println!(
        "  per post p50 {:.1} µs, p99 {:.1} µs; {:.0} posts/s, {:.1} MB/s on one core",
        percentile(&times, 50.0).as_secs_f64() * 1e6,
        percentile(&times, 99.0).as_secs_f64() * 1e6,
        POSTS as f64 / total.as_secs_f64(),
        bytes as f64 / total.as_secs_f64() / 1e6
    );
}
