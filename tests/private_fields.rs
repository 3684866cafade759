//! Private details: Acme asks problems for an order number (private, required) and a
//! firmware version (public). The order number is seen by the customer who gave it and by
//! Acme's staff, and by nobody else through any channel: the topic page, the brand page,
//! the API, search, the similar-topics box, the Atom feed and mail.

mod common;

use std::time::{Duration, Instant};

use common::staff::{company, signed_in};
use common::{Member, TestApp};
use serde_json::{Value, json};

const SECRET: &str = "ORD-7731-XK";

fn call(
    app: &TestApp,
    who: Option<&Member>,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    match who {
        Some(member) => app.as_member(member, method, path, body),
        None if method == "GET" => {
            let answer = app.client().get(path);
            (
                answer.status,
                serde_json::from_str(&answer.body).unwrap_or(Value::Null),
            )
        }
        None => app.client().post_json(path, &body),
    }
}

fn define_fields(app: &TestApp, admin: &Member) {
    for (name, label, private, required) in [
        ("order_number", "Order number", true, true),
        ("firmware", "Firmware version", false, false),
    ] {
        let (status, body) = app.as_member(
            admin,
            "POST",
            "/api/v1/brands/acme/fields",
            json!({ "kind": "problem", "name": name, "label": label, "private": private, "required": required }),
        );
        assert_eq!(status, 201, "{body}");
    }
}

#[test]
fn a_private_detail_reaches_only_its_author_and_the_brands_staff() {
    let app = TestApp::start();
    let co = company(&app);
    let field = json!({ "kind": "problem", "name": "serial", "label": "Serial" });
    for who in [&co.staff, &co.asker, &co.other_staff] {
        let (status, _) = app.as_member(who, "POST", "/api/v1/brands/acme/fields", field.clone());
        assert_eq!(status, 403, "{} may not define fields", who.username);
    }
    for bad in [
        json!({ "kind": "bug", "name": "serial", "label": "Serial" }),
        json!({ "kind": "problem", "name": "Serial No", "label": "Serial" }),
        json!({ "kind": "problem", "name": "serial", "label": "" }),
    ] {
        let (status, body) =
            app.as_member(&co.admin, "POST", "/api/v1/brands/acme/fields", bad.clone());
        assert_eq!(status, 422, "{bad}: {body}");
    }
    define_fields(&app, &co.admin);
    let (_, listed) = call(&app, None, "GET", "/api/v1/brands/acme/fields", Value::Null);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );

    // the required detail, unknown details and long ones are refused, and post nothing
    for (fields, code) in [
        (json!({ "firmware": "2.1.0" }), "field_required"),
        (
            json!({ "order_number": SECRET, "colour": "red" }),
            "field_unknown",
        ),
        (json!({ "order_number": "x".repeat(201) }), "field_too_long"),
    ] {
        let (status, body) = app.as_member(
            &co.asker,
            "POST",
            "/api/v1/brands/acme/topics",
            json!({ "kind": "problem", "title": "Refused problem here", "fields": fields }),
        );
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }

    let (status, created) = app.as_member(
        &co.asker,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "problem", "title": "Scanner stops after the update",
                "body": "It worked before.", "fields": { "order_number": SECRET, "firmware": "2.1.0" } }),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["fields"]["order_number"], SECRET,
        "its author sees it"
    );
    let id = created["id"].as_i64().unwrap();
    let topic_api = format!("/api/v1/topics/{id}");
    let topic_page = format!("/brands/acme/topics/{id}");

    // mail goes out about it: a me-too, a reply to followers, a status change
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("{topic_api}/me-too"),
        json!({}),
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("{topic_api}/replies"),
        json!({ "body": "We see it, thanks." }),
    );
    assert_eq!(status, 201);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("{topic_api}/status"),
        json!({ "status": "acknowledged" }),
    );
    assert_eq!(status, 200);

    // those who may see it
    for who in [&co.asker, &co.staff, &co.admin] {
        let (_, shown) = call(&app, Some(who), "GET", &topic_api, Value::Null);
        assert_eq!(
            shown["fields"]["order_number"], SECRET,
            "{} sees it",
            who.username
        );
        let page = signed_in(&app, &who.username).get(&topic_page).body;
        assert!(
            page.contains(SECRET),
            "{} sees it on the page",
            who.username
        );
    }

    // search has indexed the topic before we look there
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.client().get("/api/v1/search?q=scanner").json()["items"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(Instant::now() < deadline, "never indexed");
        std::thread::sleep(Duration::from_millis(50));
    }

    // everyone else, through every channel
    let api_paths = [
        topic_api.clone(),
        "/api/v1/brands/acme/topics".to_string(),
        "/api/v1/brands/acme/topics?kind=problem".to_string(),
        "/api/v1/brands/acme".to_string(),
        "/api/v1/search?q=scanner".to_string(),
        format!("/api/v1/search?q={SECRET}"),
        "/api/v1/brands/acme/similar?title=scanner+stops".to_string(),
    ];
    let pages = [
        topic_page.clone(),
        "/brands/acme".to_string(),
        "/brands/acme?kind=problem".to_string(),
        "/search?q=scanner".to_string(),
        "/brands/acme/feed.atom".to_string(),
        "/".to_string(),
    ];
    for who in [None, Some(&co.member), Some(&co.other_staff)] {
        let name = who.map_or("a visitor", |m| m.username.as_str());
        for path in &api_paths {
            let (status, body) = call(&app, who, "GET", path, Value::Null);
            assert_eq!(status, 200, "{name}: {path}");
            assert!(
                !body.to_string().contains(SECRET),
                "{name} sees it at {path}: {body}"
            );
        }
        let (_, shown) = call(&app, who, "GET", &topic_api, Value::Null);
        assert_eq!(
            shown["fields"],
            json!({ "firmware": "2.1.0" }),
            "{name}: public details only"
        );
        let client = match who {
            Some(m) => signed_in(&app, &m.username),
            None => app.client(),
        };
        for path in &pages {
            let answer = client.get(path);
            assert_eq!(answer.status, 200, "{name}: {path}");
            assert!(!answer.body.contains(SECRET), "{name} sees it at {path}");
        }
        assert!(
            client.get(&topic_page).body.contains("2.1.0"),
            "{name} sees the public one"
        );
        // the search page repeats what was asked, but finds nothing by the private value
        let searched = client.get(&format!("/search?q={SECRET}")).body;
        assert!(
            !searched.contains("Scanner stops"),
            "{name} finds it by its order number"
        );
    }

    let (_, found) = call(
        &app,
        None,
        "GET",
        &format!("/api/v1/search?q={SECRET}"),
        Value::Null,
    );
    assert_eq!(
        found["items"],
        json!([]),
        "search finds nothing by the private value"
    );

    // no mail ever carries it (the status mail to the author neither: mail is not private)
    let mail = app
        .smtp
        .wait_for(&co.member.email, 2, Duration::from_secs(20));
    assert!(!mail.is_empty());
    for message in app.smtp.messages() {
        let decoded = format!(
            "{}{}{}{}",
            message.subject(),
            message.text_body(),
            message.html_body().unwrap_or_default(),
            message.data
        );
        assert!(
            !decoded.contains(SECRET),
            "mail to {:?} holds it",
            message.rcpt_to
        );
    }
}

#[test]
fn the_ask_page_asks_for_the_kinds_details() {
    let app = TestApp::start();
    let co = company(&app);
    define_fields(&app, &co.admin);
    let ana = signed_in(&app, "ana");
    let ask = ana.get("/brands/acme/ask?kind=problem");
    assert!(ask.body.contains("Order number") && ask.body.contains("Firmware version"));
    assert!(
        ask.body.contains("only you and the brand"),
        "the private one says so"
    );

    let missing = ana.submit(
        "/brands/acme/ask",
        "/brands/acme/ask",
        &[
            ("kind", "problem"),
            ("title", "Scanner stops after the update"),
            ("field.problem.firmware", "2.1.0"),
        ],
    );
    assert_eq!(missing.status, 422);
    assert!(
        missing.body.contains("Fill in the required details"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("2.1.0"), "what was typed stays");

    let posted = ana.submit(
        "/brands/acme/ask",
        "/brands/acme/ask",
        &[
            ("kind", "problem"),
            ("title", "Scanner stops after the update"),
            ("field.problem.order_number", SECRET),
            ("field.problem.firmware", "2.1.0"),
            // a detail of another kind is not this topic's
            ("field.question.order_number", "ignored"),
        ],
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.header("location").unwrap().to_string();
    let page = ana.get(&location).body;
    assert!(page.contains(SECRET) && page.contains("2.1.0"), "{page}");
    assert!(!app.client().get(&location).body.contains(SECRET));
}
