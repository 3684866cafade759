//! The topic page costs a fixed number of queries, whatever the number of replies
//! (counted with diesel's instrumentation on the test database).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::TestApp;
use diesel::Connection;
use diesel::connection::InstrumentationEvent;
use kotae::model::{TopicId, user};
use serde_json::json;

/// Queries the topic page's data costs, for a signed-in viewer.
fn queries_for_page(app: &TestApp, id: i64, viewer: &str) -> usize {
    let mut c = app.db();
    let me = user::find_by_username(&mut c, viewer)
        .expect("query")
        .expect("viewer exists");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let page = kotae::service::topic::page(&mut c, TopicId(id), Some(&me)).expect("page");
    assert!(!page.replies.is_empty());
    count.load(Ordering::SeqCst)
}

#[test]
fn the_topic_page_issues_the_same_few_queries_for_1_or_200_replies() {
    let app = TestApp::start();
    let (alice, bob) = (app.member("alice"), app.member("bob"));
    app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Printers", "slug": "acme", "products": ["LaserJet"] }),
    );
    let topic = |title: &str| {
        let (_, t) = app.as_member(
            &alice,
            "POST",
            "/api/v1/brands/acme/topics",
            json!({ "kind": "question", "title": title, "product": "laserjet" }),
        );
        t["id"].as_i64().expect("id")
    };
    let (small, large) = (topic("One reply only"), topic("Two hundred replies"));
    app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/topics/{small}/replies"),
        json!({ "body": "The one reply" }),
    );
    for i in 0..200 {
        let (status, _) = app.as_member(
            &bob,
            "POST",
            &format!("/api/v1/topics/{large}/replies"),
            json!({ "body": format!("Reply {i}") }),
        );
        assert_eq!(status, 201);
    }
    let (one, two_hundred) = (
        queries_for_page(&app, small, "alice"),
        queries_for_page(&app, large, "alice"),
    );
    assert_eq!(one, two_hundred, "no query per reply");
    // 12 since the topic's extra details (private details, issue 12) are read with it
    assert!(
        (5..=12).contains(&two_hundred),
        "the topic page takes {two_hundred} queries"
    );
}
