//! Community pages as a browser uses them, and the mail followers get.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestApp};
use serde_json::json;

fn signed_in(app: &TestApp, username: &str) -> common::Client {
    let browser = app.client();
    let answer = browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", username), ("password", PASSWORD)],
    );
    assert_eq!(answer.status, 303);
    browser
}

#[test]
fn ask_answer_accept_through_the_pages() {
    let app = TestApp::start();
    app.member("alice");
    app.member("bob");
    let alice = signed_in(&app, "alice");
    let answer = alice.submit(
        "/brands/new",
        "/brands/new",
        &[
            ("name", "Acme Printers"),
            ("slug", ""),
            ("domain", "acme.example.com"),
            ("description", "Printers"),
            ("products", "LaserJet 5\nInkJet 2"),
        ],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/brands/acme-printers"));
    let page = alice.get("/brands/acme-printers");
    assert!(page.body.contains("Community-run") && page.body.contains("LaserJet 5"));

    let invalid = alice.submit(
        "/brands/acme-printers/ask",
        "/brands/acme-printers/ask",
        &[("kind", "question"), ("title", "Hi")],
    );
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.body.contains("That is too short.") && invalid.body.contains("value=\"Hi\""),
        "errors shown, input kept"
    );

    let answer = alice.submit(
        "/brands/acme-printers/ask",
        "/brands/acme-printers/ask",
        &[
            ("kind", "question"),
            ("title", "Printer jams on page 2"),
            ("body", "Every *second* page jams."),
            ("product", "laserjet-5"),
            ("feeling", "frustrated"),
        ],
    );
    assert_eq!(answer.status, 303);
    let topic_url = answer.header("location").expect("topic url").to_string();
    assert!(
        topic_url.starts_with("/brands/acme-printers/topics/1-printer-jams-on-page-2"),
        "{topic_url}"
    );
    let page = alice.get(&topic_url);
    assert!(
        page.body.contains("<em>second</em>")
            && page.body.contains("frustrated")
            && page.body.contains("LaserJet 5")
    );

    let bob = signed_in(&app, "bob");
    let answer = bob.submit(
        &topic_url,
        &format!("{topic_url}/replies"),
        &[("body", "Open the **rear tray** first.")],
    );
    assert_eq!(answer.status, 303);
    let answer = bob.submit(&topic_url, &format!("{topic_url}/me-too"), &[("on", "1")]);
    assert_eq!(answer.status, 303);
    assert!(
        bob.get(&topic_url)
            .body
            .contains("People with this question too: 1")
    );

    let page = alice.get(&topic_url);
    let marker = "name=\"reply_id\" value=\"";
    let start = page.body.find(marker).expect("helpful or accept form") + marker.len();
    let reply_id: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let answer = alice.post_form(
        &format!("{topic_url}/accept"),
        &page.csrf_token(),
        &[("reply_id", &reply_id)],
    );
    assert_eq!(answer.status, 303);
    let page = alice.get(&topic_url);
    let best = page
        .body
        .find("accepted-heading")
        .expect("best answer shown");
    let thread = page.body.find("replies-heading").expect("replies");
    assert!(
        best < thread,
        "the best answer shows right under the question"
    );
    assert!(page.body.contains("Answered"));

    let profile = app.client().get("/users/bob").body;
    assert!(
        profile.contains("Printer jams on page 2"),
        "bob's answer is on his profile"
    );
    let list = app
        .client()
        .get("/brands/acme-printers?kind=question&status=answered&sort=top")
        .body;
    assert!(list.contains("Printer jams on page 2"));
    let japanese = app
        .client()
        .get_with(&topic_url, &[("accept-language", "ja")])
        .body;
    assert!(japanese.contains("ベストアンサー") && japanese.contains("回答済み"));
    assert_eq!(
        app.client().get("/brands/acme-printers/topics/999").status,
        404
    );
    assert_eq!(app.client().get("/brands/other/topics/1").status, 404);
}

#[test]
fn followers_get_one_mail_per_quiet_period_and_can_unsubscribe_in_one_click() {
    let app = TestApp::start();
    let (alice, bob) = (app.member("alice"), app.member("bob"));
    app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Printers", "slug": "acme" }),
    );
    let (_, topic) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "problem", "title": "Paper jams" }),
    );
    let id = topic["id"].as_i64().expect("id");
    for text in ["Try the rear tray", "Or update the firmware"] {
        let (status, _) = app.as_member(
            &bob,
            "POST",
            &format!("/api/v1/topics/{id}/replies"),
            json!({ "body": text }),
        );
        assert_eq!(status, 201);
    }
    let mail = app.smtp.wait_for(&alice.email, 2, Duration::from_secs(30));
    let digest = &mail[1];
    assert_eq!(digest.subject(), "New replies: Paper jams");
    let text = digest.text_body();
    assert!(
        text.contains("Try the rear tray") && text.contains("Or update the firmware"),
        "both bundled: {text}"
    );
    let unsubscribe = digest.header("list-unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        digest.header("list-unsubscribe-post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );

    // a third reply inside the quiet period does not mail again
    app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/topics/{id}/replies"),
        json!({ "body": "Any luck?" }),
    );
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(app.smtp.messages_to(&alice.email).len(), 2);
    assert!(
        app.smtp.messages_to(&bob.email).len() == 1,
        "the replier is not mailed about his own replies"
    );

    // RFC 8058 one-click: a POST from the mail client, no cookie, no form token
    let url = unsubscribe.trim_matches(['<', '>']);
    let path = &url[url.find("/unsubscribe").expect("path")..];
    let answer = app.client().send_raw(
        "POST",
        path,
        "application/x-www-form-urlencoded",
        b"List-Unsubscribe=One-Click".to_vec(),
        &[],
    );
    assert_eq!(answer.status, 303);
    let forged = format!("{}x", &path[..path.len() - 1]);
    let answer = app.client().send_raw(
        "POST",
        &forged,
        "application/x-www-form-urlencoded",
        b"List-Unsubscribe=One-Click".to_vec(),
        &[],
    );
    assert_eq!(
        answer.status, 422,
        "a token not signed by the server does nothing"
    );
    let page = app
        .client()
        .get_as(&format!("/api/v1/topics/{id}"), &alice.token);
    assert_eq!(page.0, 200);
    let following = kotae::model::follow::follows(
        &mut app.db(),
        kotae::model::TopicId(id),
        kotae::model::UserId(alice.id),
    )
    .expect("query");
    assert!(!following);
}

#[test]
fn feeds_are_atom_with_the_newest_topics_and_replies() {
    let app = TestApp::start();
    let alice = app.member("alice");
    app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Printers", "slug": "acme" }),
    );
    let (_, topic) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "idea", "title": "Add duplex & colour", "body": "Please" }),
    );
    let id = topic["id"].as_i64().expect("id");
    let feed = app.client().get("/brands/acme/feed.atom");
    assert_eq!(feed.status, 200);
    assert!(
        feed.header("content-type")
            .expect("type")
            .starts_with("application/atom+xml")
    );
    assert!(
        feed.body.starts_with("<?xml")
            && feed.body.contains("<title>Add duplex &amp; colour</title>")
    );
    let topic_feed = app
        .client()
        .get(&format!("/brands/acme/topics/{id}/feed.atom"));
    assert_eq!(topic_feed.status, 200);
    assert_eq!(app.client().get("/brands/nope/feed.atom").status, 404);
}

#[test]
fn views_are_counted_in_memory_and_kept_at_shutdown() {
    let mut app = TestApp::start();
    let alice = app.member("alice");
    app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Printers", "slug": "acme" }),
    );
    let (_, topic) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "question", "title": "Printer jams" }),
    );
    let id = topic["id"].as_i64().expect("id");
    for _ in 0..3 {
        assert_eq!(
            app.client()
                .get(&format!("/brands/acme/topics/{id}"))
                .status,
            200
        );
    }
    // no write per view: the count reaches the database at the next flush or at shutdown
    assert!(app.terminate().success());
    app.restart();
    assert_eq!(
        app.client().get(&format!("/api/v1/topics/{id}")).json()["view_count"],
        3
    );
}
