//! How fast escalation mail reaches staff: 100 escalations, each to two recipients over
//! SMTP (the test sink on loopback), timed from the API's answer to the last recipient's
//! message. Run: cargo bench --bench escalations

#[path = "../common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use serde_json::json;

const ESCALATIONS: usize = 100;

fn main() {
    let app = common::TestApp::start();
    let co = common::staff::company(&app);
    let (status, _) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/escalation-rules",
        json!({ "recipients": [co.staff.id, co.admin.id] }),
    );
    assert_eq!(status, 200);
    let topics: Vec<i64> = (0..ESCALATIONS)
        .map(|i| {
            common::staff::post_topic(
                &app,
                &co.asker,
                "acme",
                "problem",
                &format!("Bench topic {i}"),
            )
        })
        .collect();
    let mut asked = vec![];
    for (i, id) in topics.iter().enumerate() {
        let (status, body) = app.as_member(
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{id}/escalations"),
            json!({ "reason": format!("Bench reason {i:03}") }),
        );
        assert_eq!(status, 201, "{body}");
        asked.push((format!("Bench reason {i:03}"), Instant::now()));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let delivered = |who: &str| {
        app.smtp
            .messages_to(who)
            .into_iter()
            .filter(|m| m.subject().contains("Bench reason"))
            .collect::<Vec<_>>()
    };
    while delivered(&co.staff.email).len() < ESCALATIONS
        || delivered(&co.admin.email).len() < ESCALATIONS
    {
        assert!(Instant::now() < deadline, "not all escalation mail arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mail = [delivered(&co.staff.email), delivered(&co.admin.email)];
    let mut latencies: Vec<Duration> = asked
        .iter()
        .map(|(reason, at)| {
            mail.iter()
                .map(|box_| {
                    let m = box_
                        .iter()
                        .find(|m| m.subject().contains(reason.as_str()))
                        .expect("mail");
                    m.received_at.saturating_duration_since(*at)
                })
                .max()
                .expect("two recipients")
        })
        .collect();
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "escalation mail, {ESCALATIONS} escalations x 2 recipients: p50 {:?} p99 {:?} max {:?}",
        pick(0.5),
        pick(0.99),
        latencies[latencies.len() - 1]
    );
}
