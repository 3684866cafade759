//! The Accounts section of API.md, answer by answer, on whichever database the run uses.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestApp, token_from};
use serde_json::json;

fn user_count(app: &TestApp) -> i64 {
    kotae::model::user::count(&mut app.db()).expect("count users")
}

#[test]
fn member_signs_up_verifies_and_uses_a_token() {
    let app = TestApp::start();
    let client = app.client();
    let (status, body) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "alice", "email": "alice@example.com", "password": PASSWORD,
        }),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["username"], "alice");
    assert!(body["id"].as_i64().is_some());

    // unverified accounts may sign in and read
    let (status, body) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "alice@example.com", "password": PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_string();
    assert_eq!(body["user"]["username"], "alice");
    let (status, me) = client.get_as("/api/v1/me", &token);
    assert_eq!(status, 200);
    assert_eq!(me["email_verified"], false);
    assert_eq!(me["site_admin"], false);
    assert_eq!(me["brands"], json!([]));

    let mail = app
        .smtp
        .wait_for("alice@example.com", 1, Duration::from_secs(20));
    let verify = token_from(&mail[0].text_body(), "/verify?token=");
    let (status, body) = client.post_json("/api/v1/accounts/verify", &json!({ "token": verify }));
    assert_eq!(status, 200, "{body}");
    let (_, me) = client.get_as("/api/v1/me", &token);
    assert_eq!(me["email_verified"], true);

    // the link works once
    let (status, body) = client.post_json("/api/v1/accounts/verify", &json!({ "token": verify }));
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "token");

    let (status, _) = client.send_json(
        "DELETE",
        "/api/v1/tokens/current",
        &json!(null),
        &[("authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(status, 204);
    let (status, body) = client.get_as("/api/v1/me", &token);
    assert_eq!(status, 401);
    assert_eq!(body["type"], "unauthorized");
}

#[test]
fn calls_without_credentials_get_401() {
    let app = TestApp::start();
    let client = app.client();
    let answer = client.get("/api/v1/me");
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    let (status, _) = client.send_json("DELETE", "/api/v1/tokens/current", &json!(null), &[]);
    assert_eq!(status, 401);
    let (status, _) = client.get_as("/api/v1/me", "not-a-token");
    assert_eq!(status, 401);
}

#[test]
fn bad_input_gets_400_413_or_422_and_writes_nothing() {
    let app = TestApp::start();
    let client = app.client();
    let endpoints = [
        "/api/v1/accounts",
        "/api/v1/accounts/verify",
        "/api/v1/tokens",
        "/api/v1/password-resets",
        "/api/v1/password-resets/confirm",
    ];
    for path in endpoints {
        let malformed = client.send_raw(
            "POST",
            path,
            "application/json",
            b"{\"username\": ".to_vec(),
            &[],
        );
        assert_eq!(malformed.status, 400, "{path}: {}", malformed.body);
        assert_eq!(
            malformed.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(malformed.json()["type"], "bad_request");

        let wrong_shape =
            client.send_raw("POST", path, "application/json", b"[1, 2]".to_vec(), &[]);
        assert_eq!(wrong_shape.status, 400, "{path}");

        let huge = format!("{{\"username\": \"{}\"}}", "x".repeat(300 * 1024));
        let oversized = client.send_raw("POST", path, "application/json", huge.into_bytes(), &[]);
        assert_eq!(oversized.status, 413, "{path}");
        assert_eq!(oversized.json()["type"], "payload_too_large");

        let (status, body) = client.post_json(path, &json!({}));
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["type"], "validation");
        assert!(!body["errors"].as_array().expect("errors").is_empty());
    }

    let (status, body) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "a b", "email": "nope", "password": "short",
        }),
    );
    assert_eq!(status, 422);
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort();
    assert_eq!(fields, ["email", "password", "username"]);

    let (status, _) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "bob", "email": "bob@example.com", "password": "x".repeat(1025),
        }),
    );
    assert_eq!(status, 422);

    assert_eq!(user_count(&app), 0);
    std::thread::sleep(Duration::from_millis(500));
    assert!(app.smtp.messages().is_empty(), "bad input queued mail");
}

#[test]
fn mass_assignment_of_roles_and_flags_is_ignored() {
    let app = TestApp::start();
    let client = app.client();
    let (status, _) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "mallory", "email": "mallory@example.com", "password": PASSWORD,
            "site_admin": true, "email_verified": true, "id": 1,
        }),
    );
    assert_eq!(status, 201);
    let (_, body) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "mallory", "password": PASSWORD }),
    );
    let (_, me) = client.get_as("/api/v1/me", body["token"].as_str().expect("token"));
    assert_eq!(me["site_admin"], false);
    assert_eq!(me["email_verified"], false);
}

#[test]
fn taken_username_is_409_and_registered_email_answers_alike() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let client = app.client();
    let (status, body) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "Alice", "email": "other@example.com", "password": PASSWORD,
        }),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "conflict");
    assert_eq!(body["errors"][0]["field"], "username");

    // same answer as for a fresh address; the holder hears of it instead of getting a link
    let (status, body) = client.post_json(
        "/api/v1/accounts",
        &json!({
            "username": "alice2", "email": alice.email, "password": PASSWORD,
        }),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["username"], "alice2");
    let mail = app.smtp.wait_for(&alice.email, 2, Duration::from_secs(20));
    let note = mail[1].text_body();
    assert!(note.contains("alice") && !note.contains("token="), "{note}");
}

#[test]
fn password_reset_answers_alike_and_ends_every_session() {
    let app = TestApp::start();
    let alice = app.member("alice");
    let client = app.client();
    for email in [alice.email.as_str(), "nobody@example.com"] {
        let (status, body) =
            client.post_json("/api/v1/password-resets", &json!({ "email": email }));
        assert_eq!(status, 202, "{body}");
    }
    let unknown = app
        .smtp
        .wait_for("nobody@example.com", 1, Duration::from_secs(20));
    assert!(!unknown[0].text_body().contains("token="));
    let mail = app.smtp.wait_for(&alice.email, 2, Duration::from_secs(20));
    let token = token_from(&mail[1].text_body(), "/reset/confirm?token=");

    // a reset token is not a verification token
    let (status, _) = client.post_json("/api/v1/accounts/verify", &json!({ "token": token }));
    assert_eq!(status, 422);

    let (status, body) = client.post_json(
        "/api/v1/password-resets/confirm",
        &json!({ "token": token, "password": "short" }),
    );
    assert_eq!(status, 422, "{body}");
    let (status, body) = client.post_json(
        "/api/v1/password-resets/confirm",
        &json!({ "token": token, "password": "a brand new passphrase" }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = client.post_json(
        "/api/v1/password-resets/confirm",
        &json!({ "token": token, "password": "another new passphrase" }),
    );
    assert_eq!(status, 422, "a reset link works once");

    let (status, _) = client.get_as("/api/v1/me", &alice.token);
    assert_eq!(status, 401, "the reset ends existing tokens");
    let (status, _) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "alice", "password": PASSWORD }),
    );
    assert_eq!(status, 422);
    let (status, _) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "alice", "password": "a brand new passphrase" }),
    );
    assert_eq!(status, 201);
}

#[test]
fn wrong_password_and_unknown_account_answer_alike() {
    let app = TestApp::start();
    app.member("alice");
    let client = app.client();
    let (s1, wrong) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "alice", "password": "not the password" }),
    );
    let (s2, unknown) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "nobody", "password": "not the password" }),
    );
    assert_eq!((s1, s2), (422, 422));
    assert_eq!(wrong, unknown);
}

#[test]
fn openapi_document_lists_every_operation_of_the_contract() {
    let app = TestApp::start();
    let answer = app.client().get("/api/v1/openapi.json");
    assert_eq!(answer.status, 200);
    let doc = answer.json();
    for (path, method) in [
        ("/accounts", "post"),
        ("/accounts/verify", "post"),
        ("/tokens", "post"),
        ("/tokens/current", "delete"),
        ("/password-resets", "post"),
        ("/password-resets/confirm", "post"),
        ("/me", "get"),
        ("/brands", "get"),
        ("/brands", "post"),
        ("/brands/{slug}", "get"),
        ("/brands/{slug}/products", "post"),
        ("/brands/{slug}/topics", "get"),
        ("/brands/{slug}/topics", "post"),
        ("/topics/{id}", "get"),
        ("/topics/{id}", "patch"),
        ("/topics/{id}/replies", "post"),
        ("/topics/{id}/me-too", "post"),
        ("/replies/{id}/helpful", "post"),
        ("/topics/{id}/accept", "post"),
        ("/topics/{id}/follow", "post"),
        ("/topics/{id}/follow", "delete"),
        ("/brands/{slug}/claims", "post"),
        ("/claims/confirm", "post"),
        ("/brands/{slug}/staff", "post"),
        ("/brands/{slug}/staff/{user_id}", "delete"),
        ("/brands/{slug}/queue", "get"),
        ("/topics/{id}/assign", "post"),
        ("/topics/{id}/status", "post"),
        ("/topics/{id}/notes", "get"),
        ("/topics/{id}/notes", "post"),
        ("/topics/{id}/events", "get"),
        ("/topics/{id}/escalations", "post"),
        ("/topics/{id}/request-help", "post"),
        ("/escalations/{id}/acknowledge", "post"),
        ("/escalations/{id}/resolve", "post"),
        ("/brands/{slug}/escalations", "get"),
        ("/brands/{slug}/escalation-rules", "get"),
        ("/brands/{slug}/escalation-rules", "put"),
        ("/search", "get"),
        ("/brands/{slug}/similar", "get"),
        ("/brands/{slug}/monitors", "get"),
        ("/brands/{slug}/monitors", "post"),
        ("/monitors/{id}", "delete"),
        ("/brands/{slug}/webhooks", "get"),
        ("/brands/{slug}/webhooks", "post"),
        ("/webhooks/{id}", "delete"),
        ("/webhooks/{id}/deliveries", "get"),
        ("/webhooks/{id}/deliveries/{delivery_id}/redeliver", "post"),
        ("/mail/inbound", "post"),
        ("/brands/{slug}/fields", "get"),
        ("/brands/{slug}/fields", "post"),
        ("/fields/{id}", "delete"),
        ("/brands/{slug}/feeds", "get"),
        ("/brands/{slug}/feeds", "post"),
        ("/feeds/{id}", "delete"),
        ("/brands/{slug}/voices", "get"),
        ("/voices/{id}/topic", "post"),
        ("/voices/{id}/dismiss", "post"),
        ("/brands/{slug}/widget", "get"),
        ("/brands/{slug}/widget", "put"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from openapi.json"
        );
    }
}
