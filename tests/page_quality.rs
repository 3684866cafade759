//! The pages as the web judges them: the Nu HTML checker, axe-core and Lighthouse, in
//! English and Japanese, anonymous and signed in (tests/pages/check.mjs does the judging).
//! Needs `npm install --prefix tests/pages` and Debian's chromium; skipped loudly without them
//! unless KOTAE_TEST_REQUIRE_TOOLS=1.

mod common;

use std::path::Path;
use std::process::Command;

use common::TestApp;
use serde_json::{Value, json};

fn token(app: &TestApp, login: &str) -> String {
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": login, "password": kotae::demo::PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().expect("token").to_string()
}

fn call(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = if method == "GET" {
        app.client().get_as(path, token)
    } else {
        let auth = format!("Bearer {token}");
        app.client()
            .send_json(method, path, &body, &[("authorization", &auth)])
    };
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

/// What the pages of issue 10 show, added to the demo: a pinned notice, an answer waiting
/// for approval, an official answer due for review, and a solved problem that asks "did this
/// fix it for you?" (aiko asked, dana said "me too"). Returns the solved topic's id and the
/// answer link from aiko's mail, as a path.
fn being_seen_to_answer(app: &TestApp) -> (i64, String) {
    let dana = token(app, "dana");
    let emi = token(app, "emi");
    call(
        app,
        &dana,
        "PUT",
        "/api/v1/brands/acme-printers/notice",
        json!({ "body": "We know the LX-200 jams on thick paper; firmware 5.2 fixes it." }),
    );
    let staff = call(
        app,
        &dana,
        "GET",
        "/api/v1/brands/acme-printers/staff",
        Value::Null,
    );
    let emi_id = staff["items"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|s| s["username"] == "emi")
        .expect("emi")["user_id"]
        .clone();
    call(
        app,
        &dana,
        "PATCH",
        &format!("/api/v1/brands/acme-printers/staff/{emi_id}"),
        json!({ "needs_approval": true }),
    );
    call(
        app,
        &emi,
        "POST",
        "/api/v1/topics/2/replies",
        json!({ "body": "Firmware 5.2 fixes this: update it from the printer's menu.", "official_answer": true }),
    );
    let reply = call(
        app,
        &dana,
        "POST",
        "/api/v1/topics/2/replies",
        json!({ "body": "Use the rear tray for card stock.", "verified_version": "5.1", "review_on": "2027-01-15" }),
    );
    {
        use diesel::prelude::*;
        use kotae::db::schema::replies;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(3);
        diesel::update(replies::table.find(reply["id"].as_i64().expect("id")))
            .set(replies::review_at.eq(past))
            .execute(&mut app.db())
            .expect("the review date passes");
    }
    let aiko = token(app, "aiko");
    let problem = call(
        app,
        &aiko,
        "POST",
        "/api/v1/brands/acme-printers/topics",
        json!({ "kind": "problem", "title": "Duplex printing skips every other page", "body": "Since the update." }),
    );
    let id = problem["id"].as_i64().expect("id");
    call(
        app,
        &dana,
        "POST",
        &format!("/api/v1/topics/{id}/me-too"),
        Value::Null,
    );
    call(
        app,
        &dana,
        "POST",
        &format!("/api/v1/topics/{id}/status"),
        json!({ "status": "solved" }),
    );
    // other mail to aiko may come first: wait for the one that asks
    let text = app
        .smtp
        .wait_for_one(
            "aiko@demo.kotae.example",
            std::time::Duration::from_secs(15),
            |m| m.text_body().contains("/fixed?token="),
        )
        .text_body();
    let start = text.find("/fixed?token=").expect("link");
    (
        id,
        text[start..]
            .split_whitespace()
            .next()
            .expect("link")
            .to_string(),
    )
}

/// A webhook of Acme Printers to a closed loopback port, registered by dana: the events
/// that follow fill its delivery log with failed attempts.
fn webhook_refusing_connections(app: &TestApp) -> i64 {
    let (_, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "dana", "password": kotae::demo::PASSWORD }),
    );
    let token = body["token"].as_str().expect("token");
    let (status, created) = app.client().send_json(
        "POST",
        "/api/v1/brands/acme-printers/webhooks",
        &json!({ "url": "http://127.0.0.1:9/hooks", "events": ["topic.created", "topic.status_changed"] }),
        &[("authorization", format!("Bearer {token}").as_str())],
    );
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().expect("id")
}

/// A sign-in provider (the fake one on loopback) linked to Acme Printers, so the sign-in,
/// brand, widget and team pages show their single sign-on parts.
fn acme_id(app: &TestApp, fake: &common::oidc::Provider) {
    let auth = format!("Bearer {}", token(app, "dana"));
    let (status, created) = app.client().send_json(
        "POST",
        "/api/v1/admin/oidc-providers",
        &json!({ "name": "Acme ID", "issuer": fake.issuer, "client_id": "good", "client_secret": "secret" }),
        &[("authorization", auth.as_str())],
    );
    assert_eq!(status, 201, "{created}");
    let (status, linked) = app.client().send_json(
        "PUT",
        "/api/v1/brands/acme-printers/sso",
        &json!({ "provider_id": created["id"] }),
        &[("authorization", auth.as_str())],
    );
    assert_eq!(status, 200, "{linked}");
}

#[test]
fn pages_pass_the_html_checker_axe_and_lighthouse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages");
    let ready = root.join("node_modules/playwright-core").exists()
        && Path::new("/usr/bin/chromium").exists();
    let install = "run `npm install --prefix tests/pages` and install chromium";
    if !common::tool_available(ready, "the page checkers", install) {
        return;
    }
    // webhooks may point at loopback: the delivery log then has attempts to show
    let app = TestApp::start_with(common::Options {
        env: vec![("KOTAE_WEBHOOK_ALLOW_PRIVATE".into(), "true".into())],
        ..common::Options::default()
    });
    app.load_demo();
    let Some(fake) = common::oidc::Provider::fake() else {
        return;
    };
    acme_id(&app, &fake);
    let hook = webhook_refusing_connections(&app);
    let hook_log = format!("/webhooks/{hook}|signed-in");
    // dana runs Acme Printers' support and is a site admin: every staff page is hers to see
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "dana"), ("password", kotae::demo::PASSWORD)],
    );
    let session = browser.cookie("kotae_session").expect("signed in");
    let (solved, fixed_link) = being_seen_to_answer(&app);
    let fixed_page = format!("{fixed_link}|anonymous");
    let solved_page = format!("/brands/acme-printers/topics/{solved}|signed-in");
    let pages = [
        "/|anonymous",
        "/|signed-in",
        "/sign-up|anonymous",
        "/sign-in|anonymous",
        "/reset|anonymous",
        "/reset/confirm?token=x|anonymous",
        "/verify?token=x|anonymous",
        "/settings|signed-in",
        "/no-such-page|anonymous",
        "/brands/acme-printers|anonymous",
        "/brands/acme-printers?kind=problem&sort=top|signed-in",
        "/brands/sakura-camera|anonymous",
        "/brands/acme-printers/topics/1|anonymous",
        "/brands/acme-printers/topics/1|signed-in",
        "/brands/sakura-camera/topics/5|signed-in",
        "/brands/acme-printers/ask|signed-in",
        "/brands/new|signed-in",
        "/users/aiko|anonymous",
        "/?q=acme|anonymous",
        "/brands/acme-printers/topics/2|signed-in",
        "/brands/acme-printers/topics/2|anonymous",
        "/brands/acme-printers/queue?view=all|signed-in",
        "/brands/acme-printers/team|signed-in",
        "/brands/acme-printers/moderation|signed-in",
        "/admin|signed-in",
        "/brands/nimbus-cloud/claim|signed-in",
        "/claims/confirm?token=x|signed-in",
        "/invitations/accept?token=x|signed-in",
        "/brands/acme-printers/escalations|signed-in",
        "/brands/acme-printers/escalations?state=resolved|signed-in",
        "/admin/mail?state=sent|signed-in",
        "/escalations/acknowledge?token=x|anonymous",
        "/search?q=printer|anonymous",
        "/search?q=%E5%8D%B0%E5%88%B7&sort=newest|signed-in",
        "/search|anonymous",
        "/brands/acme-printers/monitors|signed-in",
        "/brands/acme-printers/insights|signed-in",
        "/brands/acme-printers/insights?days=90|signed-in",
        "/admin/insights|signed-in",
        "/admin/sso|signed-in",
        "/brands/acme-printers/approvals|signed-in",
        "/brands/acme-printers/reverify|signed-in",
        "/brands/acme-printers/webhooks|signed-in",
        "/brands/acme-printers/fields|signed-in",
        "/brands/acme-printers/voices|signed-in",
        "/brands/acme-printers/widget?title=Printer+setup|anonymous",
        "/brands/acme-printers/widget?q=printer|signed-in",
        "/brands/acme-printers/ask?kind=problem|signed-in",
        hook_log.as_str(),
        solved_page.as_str(),
        fixed_page.as_str(),
    ];
    // the checks mean something only if the pages are what a signed-in staff member sees
    for page in pages.iter().filter_map(|p| p.strip_suffix("|signed-in")) {
        assert_eq!(browser.get(page).status, 200, "{page} as dana");
    }
    let output = Command::new("node")
        .arg(root.join("check.mjs"))
        .env("KOTAE_BASE", &app.base)
        .env("KOTAE_SESSION", session)
        .env("KOTAE_PAGES", pages.join(","))
        .env(
            "KOTAE_LIGHTHOUSE",
            "/,/sign-in,/brands/acme-printers,/brands/acme-printers/topics/1,/search?q=printer",
        )
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "page checks found problems:\n{stderr}\n{stdout}"
    );
}
