//! /metrics: Prometheus' text format, requests counted by route pattern (never the raw path),
//! latency buckets that add up, the queue gauges, and who may read it.

mod common;

use common::{Options, TestApp};

const TOKEN: &str = "a-metrics-token-of-at-least-32-characters";

/// The value of the sample line `name{labels}`, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_count_requests_by_route_and_show_the_queues() {
    let app = TestApp::start();
    let owner = app.member("mona");
    common::staff::create_brand(&app, &owner, "Acme", "acme", None);
    let topic = common::staff::post_topic(&app, &owner, "acme", "question", "Paper jam");
    for _ in 0..3 {
        assert_eq!(
            app.client()
                .get(&format!("/brands/acme/topics/{topic}"))
                .status,
            200
        );
    }
    assert_eq!(app.client().get("/no-such-page").status, 404);

    let answer = app.client().get("/metrics");
    assert_eq!(answer.status, 200, "loopback may read it");
    let proxied = app
        .client()
        .get_with("/metrics", &[("x-forwarded-for", "203.0.113.9")]);
    assert_eq!(
        proxied.status, 404,
        "a proxy on loopback is not a local caller"
    );
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = answer.body;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'),
            "{line}"
        );
    }
    let route = r#"route="/brands/{slug}/topics/{topic}",method="GET",status="200""#;
    let count = sample(&text, &format!("kotae_http_requests_total{{{route}}}"));
    assert!(count >= Some(3.0), "{count:?} in\n{text}");
    let all = sample(
        &text,
        &format!("kotae_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}"),
    );
    assert_eq!(all, count, "the +Inf bucket holds every request");
    assert!(
        !text.contains("acme") && !text.contains("no-such-page"),
        "labels hold patterns, never paths"
    );
    assert!(text.contains(r#"route="unmatched",method="GET",status="404""#));
    for gauge in [
        "kotae_outbox_pending",
        "kotae_outbox_oldest_age_seconds",
        "kotae_webhook_deliveries_pending",
        "kotae_search_indexer_lag",
        "kotae_escalations_open",
        "kotae_db_pool_size",
        "kotae_db_pool_connections",
        "kotae_db_pool_idle",
    ] {
        assert!(sample(&text, gauge).is_some(), "{gauge} in\n{text}");
    }
    assert!(sample(&text, "kotae_db_pool_size") > Some(0.0));
}

#[test]
fn with_a_token_set_metrics_ask_for_it() {
    let app = TestApp::start_with(Options {
        env: vec![("KOTAE_METRICS_TOKEN".into(), TOKEN.into())],
        ..Options::default()
    });
    assert_eq!(app.client().get("/metrics").status, 404);
    let wrong = app
        .client()
        .get_with("/metrics", &[("authorization", "Bearer not-the-token")]);
    assert_eq!(wrong.status, 404);
    let right = app
        .client()
        .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))]);
    assert_eq!(right.status, 200);
    assert!(right.body.contains("kotae_http_requests_total"));
}
