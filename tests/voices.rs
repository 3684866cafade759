//! Listening outside: Acme's staff watch a review site's feed on loopback; the reviews that
//! match Acme's monitors land in the voices inbox once each, however often the feed is read
//! (conditionally: 304 when nothing changed); staff turn one into a topic and dismiss
//! another; markup from the feed is only ever text; only Acme's staff see any of it.

mod common;

use std::time::{Duration, Instant};

use common::feed_server::FeedServer;
use common::staff::{company, signed_in};
use common::{Member, Options, TestApp};
use serde_json::{Value, json};

fn polling_every_second() -> Options {
    Options {
        env: vec![
            ("KOTAE_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()),
            ("KOTAE_FEED_INTERVAL".into(), "1".into()),
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

fn inbox(app: &TestApp, who: &Member, state: &str) -> Vec<Value> {
    let found = api(
        app,
        who,
        "GET",
        &format!("/api/v1/brands/acme/voices?state={state}"),
        Value::Null,
    );
    found["items"].as_array().unwrap().clone()
}

fn wait_for_inbox(app: &TestApp, who: &Member, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let items = inbox(app, who, "new");
        if items.len() >= count {
            return items;
        }
        assert!(Instant::now() < deadline, "the inbox has {items:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn matching_items_of_a_watched_feed_reach_the_inbox_once_each() {
    let app = TestApp::start_with(polling_every_second());
    let co = company(&app);
    api(
        &app,
        &co.staff,
        "POST",
        "/api/v1/brands/acme/monitors",
        json!({ "query": "scanner", "notify": "none" }),
    );
    let site = FeedServer::start();
    site.add(
        "1",
        "<script>alert(1)</script>Scanner jams",
        "The <b>scanner</b> jams on every page &amp; more.",
    );
    site.add("2", "Great toner", "Lasts for months.");
    site.add("3", "Scanner is slow", "It takes a minute per page.");

    for who in [&co.member, &co.other_staff] {
        let (status, _) = app.as_member(
            who,
            "POST",
            "/api/v1/brands/acme/feeds",
            json!({ "url": site.url() }),
        );
        assert_eq!(status, 403, "{} may not add feeds", who.username);
        let (status, _) = app.as_member(who, "GET", "/api/v1/brands/acme/voices", Value::Null);
        assert_eq!(status, 403, "{} may not read the inbox", who.username);
    }
    let (status, bad) = app.as_member(
        &co.staff,
        "POST",
        "/api/v1/brands/acme/feeds",
        json!({ "url": "file:///etc/passwd" }),
    );
    assert_eq!(status, 422, "{bad}");
    api(
        &app,
        &co.staff,
        "POST",
        "/api/v1/brands/acme/feeds",
        json!({ "url": site.url() }),
    );

    let items = wait_for_inbox(&app, &co.staff, 2);
    assert_eq!(items.len(), 2, "{items:#?}");
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Scanner is slow"), "{titles:?}");
    assert!(
        titles.contains(&"Scanner jams"),
        "markup is dropped: {titles:?}"
    );
    let jam = items.iter().find(|i| i["title"] == "Scanner jams").unwrap();
    assert_eq!(jam["summary"], "The scanner jams on every page & more.");
    assert_eq!(jam["link"], "https://reviews.example/1");
    assert_eq!(jam["matched"], "scanner");

    // read again and again: nothing lands twice, and unchanged answers are 304s
    let asked = site.requests();
    let deadline = Instant::now() + Duration::from_secs(15);
    while site.requests() < asked + 3 {
        assert!(Instant::now() < deadline, "the feed is not read again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        site.not_modified() >= 2,
        "conditional GETs: {} of {}",
        site.not_modified(),
        site.requests()
    );
    assert_eq!(inbox(&app, &co.staff, "new").len(), 2);

    // a new review arrives, and only it lands
    site.add(
        "4",
        "Scanner stopped after firmware 2.4",
        "Since the update.",
    );
    let items = wait_for_inbox(&app, &co.staff, 3);
    assert_eq!(items.len(), 3);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(inbox(&app, &co.staff, "new").len(), 3, "each item once");

    // the page shows the feed's words as text only
    let page = signed_in(&app, "sam").get("/brands/acme/voices");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Scanner is slow"));
    assert!(
        common::html_safety::dangers(&page.body).is_empty(),
        "{:?}",
        common::html_safety::dangers(&page.body)
    );
    assert_eq!(
        signed_in(&app, "mia").get("/brands/acme/voices").status,
        403
    );

    // a topic from one, a dismissal of another
    let slow = items
        .iter()
        .find(|i| i["title"] == "Scanner is slow")
        .unwrap();
    let created = api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/voices/{}/topic", slow["id"]),
        json!({}),
    );
    let topic = api(
        &app,
        &co.staff,
        "GET",
        &format!("/api/v1/topics/{}", created["id"]),
        Value::Null,
    );
    assert_eq!(topic["title"], "Scanner is slow");
    assert_eq!(topic["kind"], "problem");
    assert!(
        topic["body"]
            .as_str()
            .unwrap()
            .contains("https://reviews.example/3"),
        "{topic}"
    );
    api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/voices/{}/dismiss", jam["id"]),
        Value::Null,
    );
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/voices/{}/dismiss", jam["id"]),
        Value::Null,
    );
    assert_eq!(status, 409, "done is done");
    assert_eq!(inbox(&app, &co.staff, "new").len(), 1);
    let done = inbox(&app, &co.staff, "done");
    assert_eq!(done.len(), 2);
    assert!(
        done.iter().any(|v| v["topic_id"] == created["id"]),
        "{done:#?}"
    );

    // the last one through the page's button: it becomes a topic and the page goes there
    let last = &inbox(&app, &co.staff, "new")[0];
    let sam = signed_in(&app, "sam");
    let made = sam.submit(
        "/brands/acme/voices",
        &format!("/voices/{}", last["id"]),
        &[("action", "topic"), ("kind", "question"), ("slug", "acme")],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let page = sam.get(made.header("location").unwrap()).body;
    assert!(
        page.contains("Scanner stopped after firmware 2.4"),
        "{page}"
    );
    assert!(inbox(&app, &co.staff, "new").is_empty());
}

#[test]
fn feeds_on_private_addresses_are_refused_by_default() {
    let app = TestApp::start();
    let co = company(&app);
    let site = FeedServer::start();
    let (status, answer) = app.as_member(
        &co.staff,
        "POST",
        "/api/v1/brands/acme/feeds",
        json!({ "url": site.url() }),
    );
    assert_eq!(
        (status, answer["errors"][0]["code"].as_str()),
        (422, Some("url_private")),
        "{answer}"
    );
    assert_eq!(site.requests(), 0, "never fetched");
}
