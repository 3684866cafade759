//! Server time of the hot pages: a release server on loopback, a topic with 200 replies,
//! requests one at a time over a kept-alive connection (so the figure is the server's time
//! plus a loopback round trip). Run: cargo bench --bench pages

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [
        ("KOTAE_DATA_DIR", dir.path().to_str().expect("path")),
        ("KOTAE_BIND", "127.0.0.1:0"),
        ("KOTAE_RATE_LIMITS", "off"),
        ("KOTAE_LOG", "info,kotae::http=warn"),
    ];
    let binary = env!("CARGO_BIN_EXE_kotae");
    let mut admin = Command::new(binary)
        .args([
            "create-admin",
            "--username",
            "bench",
            "--email",
            "bench@example.com",
        ])
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("create-admin");
    admin
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    assert!(admin.wait().expect("wait").success());
    let mut server = Command::new(binary)
        .arg("serve")
        .envs(env)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("listening on ")
                .nth(1)
                .map(|r| r.split_whitespace().next().unwrap_or_default().to_string())
        })
        .expect("server address");
    std::thread::spawn(move || lines.for_each(drop)); // keep reading, so the server's log never blocks
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |path: &str, token: &str, body: Value| -> Value {
        agent
            .post(format!("{base}{path}"))
            .header("authorization", &format!("Bearer {token}"))
            .send_json(body)
            .expect("request")
            .body_mut()
            .read_json()
            .expect("json")
    };
    let token = post(
        "/api/v1/tokens",
        "",
        json!({ "login": "bench", "password": PASSWORD }),
    )["token"]
        .as_str()
        .expect("token")
        .to_string();
    post(
        "/api/v1/brands",
        &token,
        json!({ "name": "Acme Printers", "slug": "acme", "products": ["LaserJet 5"] }),
    );
    let topic = post(
        "/api/v1/brands/acme/topics",
        &token,
        json!({
            "kind": "question", "title": "Printer jams on page 2", "body": "It **jams** on every second page.\n\n- tried A\n- tried B",
            "product": "laserjet-5", "feeling": "frustrated",
        }),
    );
    let id = topic["id"].as_i64().expect("id");
    for i in 0..200 {
        post(
            &format!("/api/v1/topics/{id}/replies"),
            &token,
            json!({ "body": format!("Reply {i}: open the *rear tray* and [read this](https://example.com/{i}).") }),
        );
    }
    for (name, path) in [
        (
            "topic page, 200 replies",
            format!("/brands/acme/topics/{id}"),
        ),
        ("brand page", "/brands/acme".to_string()),
        ("home page", "/".to_string()),
        ("topic API, 200 replies", format!("/api/v1/topics/{id}")),
    ] {
        measure(&agent, &base, name, &path, None);
        // a member's page is rendered for them every time (visitors' pages are kept)
        measure(&agent, &base, name, &path, Some(&token));
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn measure(agent: &ureq::Agent, base: &str, name: &str, path: &str, token: Option<&str>) {
    let url = format!("{base}{path}");
    let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
    let get = || {
        let request = agent.get(&url);
        match token {
            Some(_) => request.header("authorization", &auth),
            None => request,
        }
    };
    let who = if token.is_some() { "member" } else { "visitor" };
    {
        for _ in 0..50 {
            get()
                .call()
                .expect("warm-up")
                .body_mut()
                .read_to_vec()
                .expect("body");
        }
        let mut samples: Vec<Duration> = (0..1000)
            .map(|_| {
                let started = Instant::now();
                let mut response = get().call().expect("request");
                assert_eq!(response.status(), 200);
                response.body_mut().read_to_vec().expect("body");
                started.elapsed()
            })
            .collect();
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:28} {who:8} p50 {:.2} ms  p99 {:.2} ms  ({} requests, one at a time)",
            ms(samples[500]),
            ms(samples[990]),
            samples.len()
        );
    }
}
