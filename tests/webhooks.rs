//! Webhooks end to end: a brand admin registers a receiver on loopback; the receiver is down
//! while six kinds of event happen, comes up, dies once mid-delivery and comes back; it ends
//! with every event answered exactly once, each signed as Standard Webhooks says. A Slack
//! endpoint gets chat text; redelivery keeps the message id; only brand admins manage
//! webhooks; endpoints on private addresses are refused unless the operator allows them.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::receiver::{Hit, Receiver};
use common::staff::{Company, company, signed_in};
use common::{Member, Options, TestApp};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const EVENTS: [&str; 6] = [
    "topic.created",
    "reply.created",
    "topic.status_changed",
    "topic.assigned",
    "escalation.opened",
    "escalation.acknowledged",
];

fn allowing_loopback() -> Options {
    Options {
        env: vec![
            ("KOTAE_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()),
            ("KOTAE_WEBHOOK_RETRY_SECONDS".into(), "1".into()),
        ],
        ..Options::default()
    }
}

fn api(app: &TestApp, who: &Member, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.as_member(who, method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

/// Checks a hit's signature with the secret, independently of the server's code.
fn signed_by(hit: &Hit, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        hit.header("webhook-id"),
        hit.header("webhook-timestamp"),
        hit.body
    );
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    hit.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

fn eventually<T>(check: impl Fn() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "never happened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The six events, in order, on a new topic in Acme.
fn make_events(app: &TestApp, co: &Company) {
    let topic = api(
        app,
        &co.asker,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "problem", "title": "The scanner jams on every page" }),
    )["id"]
        .as_i64()
        .unwrap();
    let path = |rest: &str| format!("/api/v1/topics/{topic}{rest}");
    api(
        app,
        &co.staff,
        "POST",
        &path("/replies"),
        json!({ "body": "Which model is it?" }),
    );
    api(
        app,
        &co.staff,
        "POST",
        &path("/assign"),
        json!({ "user_id": co.staff.id }),
    );
    api(
        app,
        &co.staff,
        "POST",
        &path("/status"),
        json!({ "status": "in_progress" }),
    );
    let opened = api(
        app,
        &co.staff,
        "POST",
        &path("/escalations"),
        json!({ "reason": "Jams for a whole office" }),
    );
    api(
        app,
        &co.admin,
        "POST",
        &format!("/api/v1/escalations/{}/acknowledge", opened["id"]),
        json!({}),
    );
}

fn deliveries(app: &TestApp, who: &Member, hook: i64) -> Vec<Value> {
    let log = api(
        app,
        who,
        "GET",
        &format!("/api/v1/webhooks/{hook}/deliveries"),
        json!(null),
    );
    log["items"].as_array().unwrap().clone()
}

#[test]
fn every_event_reaches_a_receiver_that_was_down_and_crashed_exactly_once() {
    let app = TestApp::start_with(allowing_loopback());
    let co = company(&app);
    let mut receiver = Receiver::new();
    let created = api(
        &app,
        &co.admin,
        "POST",
        "/api/v1/brands/acme/webhooks",
        json!({ "url": receiver.url("/hooks"), "events": EVENTS }),
    );
    let secret = created["secret"].as_str().expect("secret shown once");
    assert!(secret.starts_with("whsec_"), "{created}");
    let hook = created["id"].as_i64().unwrap();
    let slack = api(
        &app,
        &co.admin,
        "POST",
        "/api/v1/brands/acme/webhooks",
        json!({ "url": receiver.url("/slack"), "events": ["escalation.opened"], "format": "slack" }),
    );
    // the secret is never shown again
    let listed = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/webhooks",
        json!(null),
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(secret), "{listed}");

    // down: every event is queued and retried
    make_events(&app, &co);
    std::thread::sleep(Duration::from_millis(1500));
    let waiting = deliveries(&app, &co.admin, hook);
    assert_eq!(waiting.len(), 6, "one delivery per event: {waiting:#?}");
    assert!(
        waiting.iter().all(|d| d["status"] == "pending"
            && d["attempts"].as_i64() >= Some(1)
            && d["last_error"].is_string()),
        "{waiting:#?}"
    );

    // up, but the first request it reads kills it; then it is restarted
    receiver.crash_on_next();
    receiver.up();
    receiver.wait_until(Duration::from_secs(15), |hits| !hits.is_empty());
    receiver.down();
    receiver.up();
    let hits = receiver.wait_until(Duration::from_secs(30), |hits| {
        let answered: BTreeSet<&str> = hits
            .iter()
            .filter(|h| h.answered && h.path == "/hooks")
            .map(|h| h.header("webhook-id"))
            .collect();
        answered.len() == 6 && hits.iter().any(|h| h.answered && h.path == "/slack")
    });

    let hooks: Vec<&Hit> = hits.iter().filter(|h| h.path == "/hooks").collect();
    let crashed = hits
        .iter()
        .find(|h| !h.answered)
        .expect("the crashed request");
    let mut answers: HashMap<&str, usize> = HashMap::new();
    for hit in hooks.iter().filter(|h| h.answered) {
        *answers.entry(hit.header("webhook-id")).or_default() += 1;
    }
    assert!(
        answers.values().all(|&n| n == 1),
        "answered twice: {answers:?}"
    );
    assert_eq!(
        answers.get(crashed.header("webhook-id")),
        Some(&1),
        "the message the receiver died on came again, with its id"
    );
    for hit in &hooks {
        assert!(signed_by(hit, secret), "bad signature: {hit:#?}");
        let sent_at: i64 = hit.header("webhook-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 300);
    }
    let types: BTreeSet<String> = hooks
        .iter()
        .filter(|h| h.answered)
        .map(|h| h.json()["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, EVENTS.iter().map(|e| e.to_string()).collect());
    let by_type = |t: &str| {
        hooks
            .iter()
            .find(|h| h.json()["type"] == t)
            .map(|h| h.json())
            .unwrap()
    };
    let reply = by_type("reply.created");
    assert_eq!(reply["data"]["reply"]["body"], "Which model is it?");
    assert_eq!(reply["data"]["reply"]["official"], true);
    assert_eq!(
        reply["data"]["topic"]["title"],
        "The scanner jams on every page"
    );
    assert!(
        reply["data"]["topic"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&app.base),
        "{reply}"
    );
    let status = by_type("topic.status_changed");
    assert_eq!(
        (&status["data"]["from"], &status["data"]["to"]),
        (&json!("open"), &json!("in_progress"))
    );
    assert_eq!(
        by_type("topic.assigned")["data"]["assignee"]["username"],
        "sam"
    );

    // Slack gets chat text about the escalation
    let chat = hits.iter().find(|h| h.path == "/slack").unwrap();
    let text = chat.json()["text"].as_str().unwrap_or("").to_string();
    assert!(
        text.contains("Escalated") && text.contains("Jams for a whole office"),
        "{text}"
    );
    let slack_log = deliveries(&app, &co.admin, slack["id"].as_i64().unwrap());
    assert_eq!(slack_log.len(), 1, "{slack_log:#?}");

    // the log says delivered; a redelivery comes with the same id
    let log = eventually(|| {
        let log = deliveries(&app, &co.admin, hook);
        log.iter()
            .all(|d| d["status"] == "delivered")
            .then_some(log)
    });
    assert!(log.iter().all(|d| d["last_status_code"] == 200), "{log:#?}");
    let again = &log[0];
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!(
            "/api/v1/webhooks/{hook}/deliveries/{}/redeliver",
            again["id"]
        ),
        json!({}),
    );
    assert_eq!(status, 202);
    let id = again["message_id"].as_str().unwrap().to_string();
    receiver.wait_until(Duration::from_secs(10), |hits| {
        hits.iter()
            .filter(|h| h.answered && h.header("webhook-id") == id)
            .count()
            == 2
    });

    // removed: no more deliveries
    let (status, _) = app.as_member(
        &co.admin,
        "DELETE",
        &format!("/api/v1/webhooks/{hook}"),
        json!(null),
    );
    assert_eq!(status, 204);
    let before = receiver.hits().len();
    make_events(&app, &co);
    std::thread::sleep(Duration::from_millis(1500));
    let after: Vec<Hit> = receiver.hits().into_iter().skip(before).collect();
    assert!(
        after.iter().all(|h| h.path == "/slack"),
        "a removed webhook still gets deliveries: {after:#?}"
    );
}

#[test]
fn only_brand_admins_manage_webhooks_and_bad_input_changes_nothing() {
    let app = TestApp::start_with(allowing_loopback());
    let co = company(&app);
    let receiver = Receiver::new();
    let body = json!({ "url": receiver.url("/"), "events": ["topic.created"] });
    for who in [&co.staff, &co.member, &co.other_staff, &co.asker] {
        let (status, _) = app.as_member(who, "POST", "/api/v1/brands/acme/webhooks", body.clone());
        assert_eq!(status, 403, "{} may not add one", who.username);
        let (status, _) = app.as_member(who, "GET", "/api/v1/brands/acme/webhooks", json!(null));
        assert_eq!(status, 403, "{} may not list them", who.username);
    }
    let (status, _) = app
        .client()
        .post_json("/api/v1/brands/acme/webhooks", &body);
    assert_eq!(status, 401);
    let hook = api(
        &app,
        &co.admin,
        "POST",
        "/api/v1/brands/acme/webhooks",
        body,
    )["id"]
        .as_i64()
        .unwrap();
    for who in [&co.staff, &co.other_staff] {
        let (status, _) = app.as_member(
            who,
            "GET",
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            json!(null),
        );
        assert_eq!(status, 403);
        let (status, _) = app.as_member(
            who,
            "DELETE",
            &format!("/api/v1/webhooks/{hook}"),
            json!(null),
        );
        assert_eq!(status, 403);
    }

    let long = format!("http://example.com/{}", "a".repeat(2000));
    for (bad, field) in [
        (
            json!({ "url": "ftp://example.com/", "events": ["topic.created"] }),
            "url",
        ),
        (json!({ "url": long, "events": ["topic.created"] }), "url"),
        (
            json!({ "url": "http://user:pw@127.0.0.1/", "events": ["topic.created"] }),
            "url",
        ),
        (json!({ "url": receiver.url("/"), "events": [] }), "events"),
        (
            json!({ "url": receiver.url("/"), "events": ["topic.deleted"] }),
            "events",
        ),
        (
            json!({ "url": receiver.url("/"), "events": ["topic.created"], "format": "xml" }),
            "format",
        ),
    ] {
        let (status, answer) = app.as_member(
            &co.admin,
            "POST",
            "/api/v1/brands/acme/webhooks",
            bad.clone(),
        );
        assert_eq!(status, 422, "{bad}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{bad}: {answer}");
    }
    let listed = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/webhooks",
        json!(null),
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn endpoints_on_private_addresses_are_refused_by_default() {
    let app = TestApp::start();
    let co = company(&app);
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:192.168.0.1]/hook",
    ] {
        let (status, answer) = app.as_member(
            &co.admin,
            "POST",
            "/api/v1/brands/acme/webhooks",
            json!({ "url": url, "events": ["topic.created"] }),
        );
        assert_eq!(status, 422, "{url}: {answer}");
        assert_eq!(
            answer["errors"][0]["code"], "url_private",
            "{url}: {answer}"
        );
    }
}

#[test]
fn the_webhooks_page_shows_a_new_secret_once_and_the_delivery_log() {
    let app = TestApp::start_with(allowing_loopback());
    let co = company(&app);
    let mut receiver = Receiver::new();
    receiver.up();
    let page = "/brands/acme/webhooks";
    assert_eq!(
        signed_in(&app, "sam").get(page).status,
        403,
        "staff who are not admins"
    );
    let admin = signed_in(&app, "boss");
    assert!(
        admin.get("/brands/acme/team").body.contains(page),
        "the team page links it"
    );

    let refused = admin.submit(
        page,
        page,
        &[("url", "ftp://example.com/"), ("events", "topic.created")],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("aria-invalid=\"true\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("ftp://example.com/"),
        "the form keeps what was typed"
    );

    let url = receiver.url("/page");
    let added = admin.submit(
        page,
        page,
        &[
            ("url", &url),
            ("events", "topic.created"),
            ("events", "reply.created"),
            ("format", "standard"),
        ],
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let start = added.body.find("whsec_").expect("the secret is shown");
    let secret: String = added.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let listed = admin.get(page);
    assert!(
        listed.body.contains(&url) && !listed.body.contains(&secret),
        "never shown again"
    );

    common::staff::post_topic(
        &app,
        &co.asker,
        "acme",
        "question",
        "Where is the reset button?",
    );
    let hits = receiver.wait_until(Duration::from_secs(10), |hits| {
        hits.iter().any(|h| h.path == "/page")
    });
    assert!(signed_by(&hits[0], &secret));
    let hook = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/webhooks",
        json!(null),
    )["items"][0]["id"]
        .as_i64()
        .unwrap();
    let log_page = format!("/webhooks/{hook}");
    let log = eventually(|| {
        let log = admin.get(&log_page);
        log.body.contains("delivered").then_some(log)
    });
    assert!(log.body.contains("topic.created"), "{}", log.body);
    let delivery = deliveries(&app, &co.admin, hook)[0]["id"].as_i64().unwrap();
    let again = admin.submit(
        &log_page,
        &format!("/webhooks/{hook}/deliveries/{delivery}/redeliver"),
        &[],
    );
    assert_eq!(again.status, 303);
    receiver.wait_until(Duration::from_secs(10), |hits| {
        hits.iter().filter(|h| h.path == "/page").count() == 2
    });
    let removed = admin.submit(page, &format!("/webhooks/{hook}/delete"), &[]);
    assert_eq!(removed.status, 303);
    assert!(!admin.get(page).body.contains(&url));
}
