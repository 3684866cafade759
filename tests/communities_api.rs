//! Brands, topics and answers through the API, as API.md lists them.

mod common;

use std::sync::Arc;

use common::{Member, TestApp};
use serde_json::{Value, json};

fn start_brand(app: &TestApp, m: &Member, name: &str, slug: &str) -> Value {
    let (status, body) = app.as_member(
        m,
        "POST",
        "/api/v1/brands",
        json!({
            "name": name, "slug": slug, "domain": format!("{slug}.example.com"),
            "description": "Printers that print", "products": ["LaserJet 5", "InkJet 2"],
        }),
    );
    assert_eq!(status, 201, "{body}");
    body
}

fn ask(app: &TestApp, m: &Member, brand: &str, kind: &str, title: &str) -> Value {
    let (status, body) = app.as_member(m,
        "POST",
        &format!("/api/v1/brands/{brand}/topics"),
        json!({
            "kind": kind, "title": title, "body": "It jams on **page 2**.", "product": "laserjet-5", "feeling": "frustrated",
        }),
    );
    assert_eq!(status, 201, "{body}");
    body
}

#[test]
fn a_member_starts_a_community_and_everyone_can_read_it() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let brand = start_brand(&app, &alice, "Acme Printers", "acme");
    assert_eq!(brand["claimed"], false);
    assert_eq!(brand["claimed_at"], Value::Null);
    assert_eq!(brand["products"].as_array().expect("products").len(), 2);

    let (status, body) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "acme printers", "slug": "acme-2" }),
    );
    assert_eq!(status, 409, "one community per brand: {body}");
    let (status, _) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "Acme Two", "slug": "acme" }),
    );
    assert_eq!(status, 409, "slugs are unique");
    let (status, body) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "さくらカメラ" }),
    );
    assert_eq!(status, 422, "a Japanese name needs a slug: {body}");
    let (status, _) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands",
        json!({ "name": "さくらカメラ", "slug": "sakura" }),
    );
    assert_eq!(status, 201);

    let client = app.client();
    let list = client.get("/api/v1/brands?q=acm").json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["slug"], "acme");
    assert_eq!(client.get("/api/v1/brands").json()["total"], 2);
    let shown = client.get("/api/v1/brands/acme").json();
    assert_eq!(shown["name"], "Acme Printers");
    assert_eq!(client.get("/api/v1/brands/nope").status, 404);

    let (status, body) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands/acme/products",
        json!({ "name": "Toner" }),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["slug"], "toner");
}

#[test]
fn unverified_members_and_strangers_cannot_post() {
    let app = TestApp::start();
    let alice = app.member("alice");
    start_brand(&app, &alice, "Acme Printers", "acme");
    app.sign_up("newbie");
    let (_, token) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "newbie", "password": common::PASSWORD }),
    );
    let newbie = Member {
        id: 0,
        username: "newbie".into(),
        email: String::new(),
        token: token["token"].as_str().expect("token").into(),
    };
    let (status, body) = app.as_member(
        &newbie,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "question", "title": "Can I post?" }),
    );
    assert_eq!((status, body["type"].as_str()), (403, Some("unverified")));
    let (status, _) = app.client().post_json(
        "/api/v1/brands/acme/topics",
        &json!({ "kind": "question", "title": "Anonymous?" }),
    );
    assert_eq!(status, 401);
}

#[test]
fn customer_asks_community_answers_asker_accepts() {
    let app = TestApp::start();
    let (alice, bob, carol) = (app.member("alice"), app.member("bob"), app.member("carol"));
    start_brand(&app, &alice, "Acme Printers", "acme");
    let topic = ask(&app, &alice, "acme", "question", "Printer jams on page 2");
    let id = topic["id"].as_i64().expect("id");
    assert_eq!(topic["status"], "open");
    assert_eq!(topic["feeling"], "frustrated");
    assert!(
        topic["body_html"]
            .as_str()
            .expect("html")
            .contains("<strong>page 2</strong>")
    );

    let (status, reply) = app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/topics/{id}/replies"),
        json!({ "body": "Open the rear tray first" }),
    );
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["official"], false);
    assert_eq!(reply["author"]["username"], "bob");
    let reply_id = reply["id"].as_i64().expect("reply id");

    // only the asker accepts
    let (status, _) = app.as_member(
        &carol,
        "POST",
        &format!("/api/v1/topics/{id}/accept"),
        json!({ "reply_id": reply_id }),
    );
    assert_eq!(status, 403);
    let (status, body) = app.as_member(
        &alice,
        "POST",
        &format!("/api/v1/topics/{id}/accept"),
        json!({ "reply_id": reply_id }),
    );
    assert_eq!(status, 200, "{body}");
    let shown = app.client().get(&format!("/api/v1/topics/{id}")).json();
    assert_eq!(shown["status"], "answered");
    assert_eq!(shown["accepted_reply_id"], reply_id);
    assert_eq!(shown["reply_count"], 1);
    assert_eq!(shown["replies"][0]["id"], reply_id);

    // helpful: once per member, never on one's own reply
    for _ in 0..3 {
        let (status, body) = app.as_member(
            &carol,
            "POST",
            &format!("/api/v1/replies/{reply_id}/helpful"),
            json!(null),
        );
        assert_eq!((status, body["helpful_count"].as_i64()), (200, Some(1)));
    }
    let (status, _) = app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/replies/{reply_id}/helpful"),
        json!(null),
    );
    assert_eq!(status, 422);

    let answered = app
        .client()
        .get("/api/v1/brands/acme/topics?status=answered")
        .json();
    assert_eq!(answered["total"], 1);
    let unanswered = app
        .client()
        .get("/api/v1/brands/acme/topics?sort=unanswered")
        .json();
    assert_eq!(unanswered["total"], 0);
}

#[test]
fn lists_filter_sort_and_page() {
    let app = TestApp::start();
    let (alice, bob) = (app.member("alice"), app.member("bob"));
    start_brand(&app, &alice, "Acme Printers", "acme");
    for (kind, title) in [
        ("question", "How do I scan?"),
        ("problem", "Paper jams"),
        ("idea", "Add duplex"),
        ("praise", "Love the prints"),
    ] {
        ask(&app, &alice, "acme", kind, title);
    }
    let jam = app
        .client()
        .get("/api/v1/brands/acme/topics?kind=problem")
        .json();
    assert_eq!(jam["total"], 1);
    let jam_id = jam["items"][0]["id"].as_i64().expect("id");
    app.as_member(
        &bob,
        "POST",
        &format!("/api/v1/topics/{jam_id}/me-too"),
        json!(null),
    );
    let top = app
        .client()
        .get("/api/v1/brands/acme/topics?sort=top")
        .json();
    assert_eq!(top["items"][0]["title"], "Paper jams");
    let paged = app
        .client()
        .get("/api/v1/brands/acme/topics?per_page=3&page=2")
        .json();
    assert_eq!(
        (
            paged["total"].as_i64(),
            paged["items"].as_array().map(Vec::len)
        ),
        (Some(4), Some(1))
    );
    assert_eq!(
        app.client()
            .get("/api/v1/brands/acme/topics?per_page=1000")
            .json()["per_page"],
        100
    );
    for bad in ["kind=rant", "status=happy", "sort=random", "product=nope"] {
        assert_eq!(
            app.client()
                .get(&format!("/api/v1/brands/acme/topics?{bad}"))
                .status,
            422,
            "{bad}"
        );
    }
}

#[test]
fn me_too_is_one_per_member_undoable_and_race_free() {
    let app = Arc::new(TestApp::start());
    let alice = app.member("alice");
    start_brand(&app, &alice, "Acme Printers", "acme");
    let id = ask(&app, &alice, "acme", "problem", "Paper jams on page 2")["id"]
        .as_i64()
        .expect("id");
    let members: Vec<Member> = (0..4).map(|i| app.member(&format!("user{i}"))).collect();
    let threads: Vec<_> = members
        .iter()
        .flat_map(|m| std::iter::repeat_n(m.clone(), 3))
        .map(|m| {
            let app = app.clone();
            std::thread::spawn(move || {
                app.as_member(
                    &m,
                    "POST",
                    &format!("/api/v1/topics/{id}/me-too"),
                    json!(null),
                )
                .0
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread"), 200);
    }
    let shown = app.client().get(&format!("/api/v1/topics/{id}")).json();
    assert_eq!(
        shown["me_too_count"], 4,
        "twelve calls from four members count four"
    );
    let (status, body) = app.as_member(
        &members[0],
        "DELETE",
        &format!("/api/v1/topics/{id}/me-too"),
        json!(null),
    );
    assert_eq!((status, body["me_too_count"].as_i64()), (200, Some(3)));
    let (_, body) = app.as_member(
        &members[0],
        "DELETE",
        &format!("/api/v1/topics/{id}/me-too"),
        json!(null),
    );
    assert_eq!(body["me_too_count"], 3, "undoing twice is still one undo");
    let (status, _) = app.as_member(
        &alice,
        "POST",
        &format!("/api/v1/topics/{id}/me-too"),
        json!(null),
    );
    assert_eq!(status, 422, "the author does not me-too their own topic");
}

#[test]
fn limits_answer_with_clear_errors_and_write_nothing() {
    let app = TestApp::start();
    let alice = app.member("alice");
    start_brand(&app, &alice, "Acme Printers", "acme");
    let post = |body: Value| app.as_member(&alice, "POST", "/api/v1/brands/acme/topics", body);
    let (status, body) = post(json!({ "kind": "question", "title": "Hey" }));
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("title"))
    );
    let (status, _) = post(json!({ "kind": "question", "title": "x".repeat(201) }));
    assert_eq!(status, 422);
    let (status, body) =
        post(json!({ "kind": "question", "title": "A fine title", "body": "x".repeat(50_001) }));
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("too_long"))
    );
    let (status, _) =
        post(json!({ "kind": "question", "title": "A fine title", "body": "答".repeat(50_000) }));
    assert_eq!(status, 201, "50,000 Japanese characters fit");
    let (status, _) =
        post(json!({ "kind": "question", "title": "A fine title", "body": "x".repeat(300_000) }));
    assert_eq!(status, 413, "a request past the size limit");
    let (status, body) = post(
        json!({ "kind": "rant", "title": "A fine title", "feeling": "meh", "product": "none" }),
    );
    assert_eq!(status, 422);
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        app.client().get("/api/v1/brands/acme/topics").json()["total"],
        1
    );

    let id = ask(&app, &alice, "acme", "question", "A fine title")["id"]
        .as_i64()
        .expect("id");
    let (status, _) = app.as_member(
        &alice,
        "POST",
        &format!("/api/v1/topics/{id}/replies"),
        json!({ "body": "x".repeat(20_001) }),
    );
    assert_eq!(status, 422);
    let (status, _) = app.as_member(
        &alice,
        "POST",
        &format!("/api/v1/topics/{id}/replies"),
        json!({ "body": "   " }),
    );
    assert_eq!(status, 422);
    assert_eq!(
        app.client().get(&format!("/api/v1/topics/{id}")).json()["reply_count"],
        0
    );
}

#[test]
fn the_author_edits_within_the_window_and_revisions_are_kept() {
    let app = TestApp::start();
    let (alice, bob) = (app.member("alice"), app.member("bob"));
    start_brand(&app, &alice, "Acme Printers", "acme");
    let id = ask(&app, &alice, "acme", "question", "Printer jams")["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app.as_member(
        &alice,
        "PATCH",
        &format!("/api/v1/topics/{id}"),
        json!({ "title": "Printer jams on page 2" }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "Printer jams on page 2");
    assert!(body["edited_at"].is_string());
    let (status, _) = app.as_member(
        &bob,
        "PATCH",
        &format!("/api/v1/topics/{id}"),
        json!({ "title": "Hijacked title" }),
    );
    assert_eq!(status, 403);
    let revisions = kotae::model::topic::revision_count(&mut app.db(), kotae::model::TopicId(id))
        .expect("count");
    assert_eq!(revisions, 1);
}

#[test]
fn posting_is_rate_limited_for_new_members() {
    let app = TestApp::start_with(common::Options {
        rate_limits: true,
        ..common::Options::default()
    });
    let alice = app.member("alice");
    start_brand(&app, &alice, "Acme Printers", "acme");
    let statuses: Vec<u16> = (0..4)
        .map(|i| {
            app.as_member(
                &alice,
                "POST",
                "/api/v1/brands/acme/topics",
                json!({ "kind": "idea", "title": format!("Idea number {i}") }),
            )
            .0
        })
        .collect();
    assert_eq!(
        statuses,
        [201, 201, 201, 429],
        "a new member's first posts: three a minute"
    );
}

#[test]
fn nul_characters_never_reach_the_database() {
    // PostgreSQL refuses NUL in text; every way in answers cleanly instead of with a 500
    let app = TestApp::start();
    let alice = app.member("alice");
    start_brand(&app, &alice, "Acme Printers", "acme");
    let (status, body) = app.as_member(
        &alice,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({
            "kind": "question", "title": "Nul \u{0} in the title", "body": "a\u{0}b",
        }),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["body"], "ab");
    let id = body["id"].as_i64().expect("id");
    let (status, _) = app.as_member(
        &alice,
        "PATCH",
        &format!("/api/v1/topics/{id}"),
        json!({ "body": "\u{0}" }),
    );
    assert_eq!(status, 200);
    let (status, _) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "al\u{0}ice", "password": common::PASSWORD }),
    );
    assert_eq!(status, 422);
    let (status, _) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "a\u{0}@example.com", "password": common::PASSWORD }),
    );
    assert_eq!(status, 422);
    assert_eq!(app.client().get("/api/v1/brands/ac%00me").status, 404);
    assert_eq!(app.client().get("/brands/ac%00me").status, 404);
    assert_eq!(app.client().get("/users/al%00ice").status, 404);
    assert_eq!(app.client().get("/api/v1/brands?q=%00").status, 200);
}
