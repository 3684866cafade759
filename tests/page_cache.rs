//! Pages kept in memory for visitors who are not signed in: each visitor still gets their own
//! working CSRF token, a write shows at once, signed-in members always get a fresh page, and a
//! browser that has the page gets 304.

mod common;

use common::TestApp;
use serde_json::json;

/// A brand with one question; returns the topic page's path.
fn community(app: &TestApp, author: &common::Member) -> String {
    let (status, _) = app.as_member(
        author,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Printers", "slug": "acme" }),
    );
    assert_eq!(status, 201);
    let (status, topic) = app.as_member(
        author,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "question", "title": "Tray jams on page two", "body": "Every time." }),
    );
    assert_eq!(status, 201, "{topic}");
    format!("/brands/acme/topics/{}", topic["id"])
}

#[test]
fn visitors_share_a_kept_page_with_their_own_token() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let path = community(&app, &alice);
    let (first, second) = (app.client(), app.client());
    let a = first.get(&path);
    let b = second.get(&path);
    assert_eq!((a.status, b.status), (200, 200));
    let (tag_a, tag_b) = (
        a.header("etag").expect("etag"),
        b.header("etag").expect("etag"),
    );
    let serial = |tag: &str| tag.split('-').next().unwrap_or_default().to_string();
    assert_eq!(
        serial(tag_a),
        serial(tag_b),
        "the second visitor got the kept page"
    );
    assert_ne!(
        a.csrf_token(),
        b.csrf_token(),
        "each visitor has their own token"
    );
    let without_tokens = |page: &str, token: &str| page.replace(token, "");
    assert_eq!(
        without_tokens(&a.body, &a.csrf_token()),
        without_tokens(&b.body, &b.csrf_token())
    );

    let again = first.get_with(&path, &[("if-none-match", tag_a)]);
    assert_eq!((again.status, again.body.as_str()), (304, ""));

    // the token in the kept page works for its visitor, and only for them
    let switched = second.post_form(
        "/language",
        &b.csrf_token(),
        &[("lang", "ja"), ("return_to", &path)],
    );
    assert_eq!(switched.status, 303, "{}", switched.body);
    let refused = first.post_form(
        "/language",
        &b.csrf_token(),
        &[("lang", "ja"), ("return_to", &path)],
    );
    assert_eq!(refused.status, 403);
    let japanese = second.get(&path);
    assert!(japanese.body.contains("lang=\"ja\""), "kept per language");
}

#[test]
fn a_write_shows_to_visitors_at_once() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let bob = app.member("bob");
    let path = community(&app, &alice);
    let visitor = app.client();
    let before = visitor.get(&path);
    assert!(!before.body.contains("Clean the rollers"));
    let id = path.rsplit('/').next().expect("id");
    let (status, _) = app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/topics/{id}/replies"),
        json!({ "body": "Clean the rollers with a damp cloth." }),
    );
    assert_eq!(status, 201);
    let after = visitor.get(&path);
    assert!(after.body.contains("Clean the rollers"), "no stale page");
    assert_ne!(before.header("etag"), after.header("etag"));
    let brand = visitor.get("/brands/acme");
    assert!(brand.body.contains("Tray jams on page two"));
}

#[test]
fn members_get_their_own_page() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let path = community(&app, &alice);
    let member = app.client();
    let signed_in = member.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "alice"), ("password", common::PASSWORD)],
    );
    assert_eq!(signed_in.status, 303);
    app.client().get(&path); // a visitor's copy is kept
    let page = member.get(&path);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("etag"), None, "rendered for the member");
    assert!(page.body.contains("/sign-out"));
}
