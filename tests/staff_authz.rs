//! The authorisation table: every staff and admin endpoint and page, called by each role
//! (visitor, unverified member, member, staff of another brand, staff, brand admin, site
//! admin), with the answer each must get. Everything is checked on the server.

mod common;

use common::TestApp;
use common::staff::{Company, company, post_topic, signed_in};
use serde_json::{Value, json};

/// A call: method, path and body.
type Call = (&'static str, String, Value);
/// Makes a call, preparing what it needs first.
type MakeCall = Box<dyn Fn(&TestApp, &Company) -> Call>;

/// One row: what is called, and the status each role gets, in the order of `Company::roles`.
struct Row {
    name: &'static str,
    expected: [u16; 7],
    /// Makes the call's method, path and body; may prepare what the call needs first.
    call: MakeCall,
}

fn row(
    name: &'static str,
    expected: [u16; 7],
    call: impl Fn(&TestApp, &Company) -> Call + 'static,
) -> Row {
    Row {
        name,
        expected,
        call: Box::new(call),
    }
}

const STAFF_READ: [u16; 7] = [401, 403, 403, 403, 200, 200, 200];
const STAFF_CREATE: [u16; 7] = [401, 403, 403, 403, 201, 201, 201];
const STAFF_DELETE: [u16; 7] = [401, 403, 403, 403, 204, 204, 204];
const ADMIN_ONLY: [u16; 7] = [401, 403, 403, 403, 403, 200, 200];
const SITE_ADMIN: [u16; 7] = [401, 403, 403, 403, 403, 403, 200];

/// A fresh topic by the asker, for calls that use one up.
fn fresh_topic(app: &TestApp, co: &Company) -> i64 {
    post_topic(
        app,
        &co.asker,
        "acme",
        "problem",
        "Paper jams on every page",
    )
}

fn rows() -> Vec<Row> {
    vec![
        row("GET queue", STAFF_READ, |_, _| {
            (
                "GET",
                "/api/v1/brands/acme/queue?view=all".into(),
                Value::Null,
            )
        }),
        row("POST assign (unassign)", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/assign", co.topic),
                json!({ "user_id": null }),
            )
        }),
        row("POST status", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/status", co.topic),
                json!({ "status": "open" }),
            )
        }),
        row("GET notes", STAFF_READ, |_, co| {
            (
                "GET",
                format!("/api/v1/topics/{}/notes", co.topic),
                Value::Null,
            )
        }),
        row("POST notes", STAFF_CREATE, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/notes", co.topic),
                json!({ "body": "Checked the logs." }),
            )
        }),
        row("GET events", [200; 7], |_, co| {
            (
                "GET",
                format!("/api/v1/topics/{}/events", co.topic),
                Value::Null,
            )
        }),
        row(
            "POST official answer",
            [401, 403, 403, 403, 201, 201, 403],
            |_, co| {
                (
                    "POST",
                    format!("/api/v1/topics/{}/replies", co.topic),
                    json!({ "body": "Update the driver to 2.1.", "official_answer": true }),
                )
            },
        ),
        row(
            "POST accept",
            [401, 403, 403, 403, 200, 200, 200],
            |_, co| {
                (
                    "POST",
                    format!("/api/v1/topics/{}/accept", co.topic),
                    json!({ "reply_id": co.reply }),
                )
            },
        ),
        row("POST bulk", STAFF_READ, |_, co| {
            (
                "POST",
                "/api/v1/brands/acme/queue/bulk".into(),
                json!({ "topic_ids": [co.topic], "assignee": null }),
            )
        }),
        row("GET staff", STAFF_READ, |_, _| {
            ("GET", "/api/v1/brands/acme/staff".into(), Value::Null)
        }),
        row("POST staff", [401, 403, 403, 403, 403, 201, 201], |_, _| {
            (
                "POST",
                "/api/v1/brands/acme/staff".into(),
                json!({ "username": "ana", "role": "staff" }),
            )
        }),
        row("PATCH staff", ADMIN_ONLY, |_, co| {
            (
                "PATCH",
                format!("/api/v1/brands/acme/staff/{}", co.staff.id),
                json!({ "title": "Support lead" }),
            )
        }),
        row(
            "DELETE staff",
            [401, 403, 403, 403, 403, 204, 204],
            |app, co| {
                let (status, _) = app.as_member(
                    &co.admin,
                    "POST",
                    "/api/v1/brands/acme/staff",
                    json!({ "username": "uma", "role": "staff" }),
                );
                assert_eq!(status, 201);
                let uma = app
                    .as_member(&co.admin, "GET", "/api/v1/brands/acme/staff", Value::Null)
                    .1["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .find(|s| s["username"] == "uma")
                    .expect("uma is staff")["user_id"]
                    .clone();
                (
                    "DELETE",
                    format!("/api/v1/brands/acme/staff/{uma}"),
                    Value::Null,
                )
            },
        ),
        row("PUT settings", ADMIN_ONLY, |_, _| {
            (
                "PUT",
                "/api/v1/brands/acme/settings".into(),
                json!({ "first_response_minutes": 60 }),
            )
        }),
        row("GET saved replies", STAFF_READ, |_, _| {
            (
                "GET",
                "/api/v1/brands/acme/saved-replies".into(),
                Value::Null,
            )
        }),
        row("POST saved reply", STAFF_CREATE, |_, _| {
            (
                "POST",
                "/api/v1/brands/acme/saved-replies".into(),
                json!({ "title": "Driver", "body": "Please update the driver." }),
            )
        }),
        row("DELETE saved reply", STAFF_DELETE, |app, co| {
            let (_, saved) = app.as_member(
                &co.admin,
                "POST",
                "/api/v1/brands/acme/saved-replies",
                json!({ "title": "Temporary", "body": "Soon gone." }),
            );
            (
                "DELETE",
                format!("/api/v1/saved-replies/{}", saved["id"]),
                Value::Null,
            )
        }),
        row("GET flags", STAFF_READ, |_, _| {
            ("GET", "/api/v1/brands/acme/flags".into(), Value::Null)
        }),
        row("POST flag dismiss", STAFF_READ, |app, co| {
            let (status, _) = app.as_member(
                &co.member,
                "POST",
                &format!("/api/v1/topics/{}/flags", co.topic),
                json!({ "reason": "spam", "reply_id": co.reply }),
            );
            assert_eq!(status, 201);
            let (_, flags) =
                app.as_member(&co.admin, "GET", "/api/v1/brands/acme/flags", Value::Null);
            let id = flags["items"][0]["id"].clone();
            ("POST", format!("/api/v1/flags/{id}/dismiss"), Value::Null)
        }),
        row("POST lock", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/lock", co.topic),
                json!({ "locked": false }),
            )
        }),
        row("POST move", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/move", co.topic),
                json!({ "product": "printer" }),
            )
        }),
        row("POST topic restore", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/restore", co.topic),
                Value::Null,
            )
        }),
        row("POST reply restore", STAFF_READ, |_, co| {
            (
                "POST",
                format!("/api/v1/replies/{}/restore", co.reply),
                Value::Null,
            )
        }),
        row("POST hide topic", STAFF_READ, |app, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/hide", fresh_topic(app, co)),
                Value::Null,
            )
        }),
        row("POST merge", STAFF_READ, |app, co| {
            let duplicate = fresh_topic(app, co);
            (
                "POST",
                format!("/api/v1/topics/{duplicate}/merge"),
                json!({ "into": co.topic }),
            )
        }),
        row("POST escalation", STAFF_CREATE, |_, co| {
            (
                "POST",
                format!("/api/v1/topics/{}/escalations", co.topic),
                json!({ "reason": "Needs a look" }),
            )
        }),
        row("POST escalation acknowledge", STAFF_READ, |app, co| {
            let id = open_escalation(app, co);
            (
                "POST",
                format!("/api/v1/escalations/{id}/acknowledge"),
                Value::Null,
            )
        }),
        row("POST escalation resolve", STAFF_READ, |app, co| {
            let id = open_escalation(app, co);
            (
                "POST",
                format!("/api/v1/escalations/{id}/resolve"),
                Value::Null,
            )
        }),
        row("GET escalations", STAFF_READ, |_, _| {
            (
                "GET",
                "/api/v1/brands/acme/escalations?state=open".into(),
                Value::Null,
            )
        }),
        row("GET escalation rules", STAFF_READ, |_, _| {
            (
                "GET",
                "/api/v1/brands/acme/escalation-rules".into(),
                Value::Null,
            )
        }),
        row("PUT escalation rules", ADMIN_ONLY, |_, co| {
            (
                "PUT",
                "/api/v1/brands/acme/escalation-rules".into(),
                json!({ "me_too_threshold": 50, "recipients": [co.staff.id] }),
            )
        }),
        row(
            "POST request help (author only)",
            [401, 403, 403, 403, 403, 403, 403],
            |_, co| {
                (
                    "POST",
                    format!("/api/v1/topics/{}/request-help", co.topic),
                    json!({ "reason": "Please help" }),
                )
            },
        ),
        row("GET admin mail", SITE_ADMIN, |_, _| {
            ("GET", "/api/v1/admin/mail?state=sent".into(), Value::Null)
        }),
        row("POST admin mail retry", SITE_ADMIN, |app, _| {
            (
                "POST",
                format!("/api/v1/admin/mail/{}/retry", failed_mail(app)),
                Value::Null,
            )
        }),
        row("GET monitors", STAFF_READ, |_, _| {
            ("GET", "/api/v1/brands/acme/monitors".into(), Value::Null)
        }),
        row("POST monitor", STAFF_CREATE, |_, _| {
            (
                "POST",
                "/api/v1/brands/acme/monitors".into(),
                json!({ "query": "printer jam" }),
            )
        }),
        row("DELETE monitor", STAFF_DELETE, |app, co| {
            let (status, m) = app.as_member(
                &co.admin,
                "POST",
                "/api/v1/brands/acme/monitors",
                json!({ "query": "temporary watch" }),
            );
            assert_eq!(status, 201);
            (
                "DELETE",
                format!("/api/v1/monitors/{}", m["id"]),
                Value::Null,
            )
        }),
        row("GET admin claims", SITE_ADMIN, |_, _| {
            ("GET", "/api/v1/admin/claims".into(), Value::Null)
        }),
        row("POST approve claim", SITE_ADMIN, |app, co| {
            let slug = format!("shop-{}", rand_suffix());
            common::staff::create_brand(app, &co.member, &slug, &slug, None);
            let (status, body) = app.as_member(
                &co.member,
                "POST",
                &format!("/api/v1/brands/{slug}/claims"),
                json!({ "reason": "I run this shop; call the number on its site." }),
            );
            assert_eq!((status, &body["state"]), (202, &json!("pending")));
            let (_, claims) =
                app.as_member(&co.site_admin, "GET", "/api/v1/admin/claims", Value::Null);
            let id = claims["items"][0]["id"].clone();
            (
                "POST",
                format!("/api/v1/admin/claims/{id}/approve"),
                Value::Null,
            )
        }),
        row("POST revoke claim", SITE_ADMIN, |app, co| {
            let slug = format!("spare-{}", rand_suffix());
            common::staff::create_brand(app, &co.member, &slug, &slug, None);
            (
                "POST",
                format!("/api/v1/admin/brands/{slug}/revoke-claim"),
                Value::Null,
            )
        }),
        row("POST ban", SITE_ADMIN, |_, _| {
            (
                "POST",
                "/api/v1/admin/users/ana/ban".into(),
                json!({ "hide_posts": false }),
            )
        }),
        row("DELETE ban", [401, 403, 403, 403, 403, 403, 204], |_, _| {
            ("DELETE", "/api/v1/admin/users/ana/ban".into(), Value::Null)
        }),
        row(
            "POST claims confirm (bad token)",
            [401, 403, 422, 422, 422, 422, 422],
            |_, _| {
                (
                    "POST",
                    "/api/v1/claims/confirm".into(),
                    json!({ "token": "forged" }),
                )
            },
        ),
        row(
            "POST invitation (bad token)",
            [401, 403, 422, 422, 422, 422, 422],
            |_, _| {
                (
                    "POST",
                    "/api/v1/invitations/accept".into(),
                    json!({ "token": "forged" }),
                )
            },
        ),
    ]
}

/// A fresh escalation on the company's topic, opened by its admin.
fn open_escalation(app: &TestApp, co: &Company) -> Value {
    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/escalations", co.topic),
        json!({ "reason": "For the table" }),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].clone()
}

/// A message in the outbox that failed for good, for the retry button.
fn failed_mail(app: &TestApp) -> i64 {
    use kotae::model::outbox::{self, NewOutboxEmail};
    let mut c = app.db();
    let at = kotae::model::now();
    let key = format!("failed-{}", rand_suffix());
    let row = NewOutboxEmail {
        dedupe_key: key.clone(),
        message_id: format!("<{key}@kotae.test>"),
        to_address: "nobody@example.com".into(),
        subject: "Undeliverable".into(),
        body_text: "x".into(),
        body_html: "x".into(),
        next_attempt_at: at + chrono::Duration::days(1),
        created_at: at,
        list_unsubscribe: None,
        staff_of_brand: None,
        recipient_id: None,
        reply_to: None,
    };
    assert!(outbox::enqueue(&mut c, &row).expect("enqueue"));
    let id = outbox::to_address(&mut c, "nobody@example.com")
        .expect("rows")
        .last()
        .expect("row")
        .id;
    outbox::mark_attempt_failed(&mut c, id, "550 no such user", None).expect("fail it");
    id.0
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

fn call_as(app: &TestApp, token: Option<&str>, method: &str, path: &str, body: &Value) -> u16 {
    let client = app.client();
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    if method == "GET" {
        client.get_with(path, &headers).status
    } else {
        client.send_json(method, path, body, &headers).0
    }
}

#[test]
fn every_staff_and_admin_endpoint_answers_each_role_as_the_table_says() {
    let app = TestApp::start();
    let co = company(&app);
    let roles = co.roles();
    let mut wrong = vec![];
    for r in rows() {
        for (i, (role, token)) in roles.iter().enumerate() {
            let (method, path, body) = (r.call)(&app, &co);
            let got = call_as(&app, token.as_deref(), method, &path, &body);
            if got != r.expected[i] {
                wrong.push(format!(
                    "{:<32} {:<12} expected {} got {}",
                    r.name, role, r.expected[i], got
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the authorisation table does not hold:\n{}",
        wrong.join("\n")
    );
}

/// Pages: what each role gets for the staff and admin pages (303 is the way to sign-in).
#[test]
fn staff_and_admin_pages_answer_each_role_as_the_table_says() {
    let app = TestApp::start();
    let co = company(&app);
    let pages: [(&str, [u16; 7]); 8] = [
        (
            "/brands/acme/escalations",
            [303, 403, 403, 403, 200, 200, 200],
        ),
        ("/admin/mail", [303, 403, 403, 403, 403, 403, 200]),
        ("/brands/acme/monitors", [303, 403, 403, 403, 200, 200, 200]),
        ("/brands/acme/queue", [303, 403, 403, 403, 200, 200, 200]),
        ("/brands/acme/team", [303, 403, 403, 403, 200, 200, 200]),
        (
            "/brands/acme/moderation",
            [303, 403, 403, 403, 200, 200, 200],
        ),
        ("/admin", [303, 403, 403, 403, 403, 403, 200]),
        ("/brands/acme/claim", [303, 200, 200, 200, 200, 200, 200]),
    ];
    let names = [
        None,
        Some("uma"),
        Some("mia"),
        Some("olga"),
        Some("sam"),
        Some("boss"),
        Some("root"),
    ];
    let clients: Vec<_> = names
        .iter()
        .map(|n| n.map_or_else(|| app.client(), |name| signed_in(&app, name)))
        .collect();
    let mut wrong = vec![];
    for (path, expected) in pages {
        for (i, client) in clients.iter().enumerate() {
            let got = client.get(path).status;
            if got != expected[i] {
                wrong.push(format!(
                    "GET {path} as {:?}: expected {} got {got}",
                    names[i], expected[i]
                ));
            }
        }
    }
    // the topic page's staff forms: a member's post is refused, staff's goes through
    let topic_page = format!("/brands/acme/topics/{}", co.topic);
    for (i, expected) in [(2, 403), (3, 403), (4, 303), (5, 303)] {
        let answer = clients[i].submit(
            &topic_page,
            &format!("{topic_page}/notes"),
            &[("body", "Looked into it.")],
        );
        if answer.status != expected {
            wrong.push(format!(
                "POST notes page as {:?}: expected {expected} got {}",
                names[i], answer.status
            ));
        }
    }
    assert!(wrong.is_empty(), "pages:\n{}", wrong.join("\n"));
}
