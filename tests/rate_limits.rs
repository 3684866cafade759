//! Rate limits: 429 with Retry-After, keyed on the peer unless a trusted proxy speaks.

mod common;

use common::{Options, TestApp};
use serde_json::json;

fn limited_app(env: Vec<(String, String)>) -> TestApp {
    TestApp::start_with(Options {
        rate_limits: true,
        env,
        ..Options::default()
    })
}

fn try_sign_in(client: &common::Client, login: &str, forwarded_for: &str) -> common::Answer {
    let body = json!({ "login": login, "password": "not the password" })
        .to_string()
        .into_bytes();
    client.send_raw(
        "POST",
        "/api/v1/tokens",
        "application/json",
        body,
        &[("x-forwarded-for", forwarded_for)],
    )
}

#[test]
fn sign_in_is_limited_per_account() {
    let app = limited_app(vec![]);
    app.member("target");
    let client = app.client();
    // member() signed in once; every attempt counts, right or wrong
    for attempt in 2..=10 {
        assert_eq!(
            try_sign_in(&client, "target", "1.2.3.4").status,
            422,
            "attempt {attempt}"
        );
    }
    let answer = try_sign_in(&client, "target", "1.2.3.4");
    assert_eq!(answer.status, 429);
    assert_eq!(answer.json()["type"], "rate_limited");
    let retry: u64 = answer
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry));
    // the email login counts against the same account
    assert_eq!(
        try_sign_in(&client, "target@example.com", "1.2.3.4").status,
        429
    );
}

#[test]
fn a_spoofed_forwarded_for_does_not_buy_a_fresh_bucket() {
    let app = limited_app(vec![]);
    let client = app.client();
    let mut statuses = vec![];
    for i in 0..31 {
        statuses.push(try_sign_in(&client, &format!("nobody{i}"), &format!("10.0.0.{i}")).status);
    }
    assert!(statuses[..30].iter().all(|s| *s == 422), "{statuses:?}");
    assert_eq!(
        statuses[30], 429,
        "the peer address is the key: {statuses:?}"
    );
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_client_is_the_key() {
    let app = limited_app(vec![("KOTAE_TRUSTED_PROXIES".into(), "127.0.0.1".into())]);
    let client = app.client();
    for i in 0..35 {
        // the client put a fake hop first; the proxy appended the real one
        let hops = format!("6.6.6.6, 10.0.{}.{}", i / 250, i % 250);
        assert_eq!(
            try_sign_in(&client, &format!("nobody{i}"), &hops).status,
            422,
            "client {i}"
        );
    }
    for i in 0..30 {
        assert_eq!(
            try_sign_in(&client, &format!("someone{i}"), "6.6.6.6, 10.9.9.9").status,
            422
        );
    }
    assert_eq!(
        try_sign_in(&client, "someone-else", "7.7.7.7, 10.9.9.9").status,
        429
    );
}

#[test]
fn password_resets_are_limited_per_address_asked_for() {
    let app = limited_app(vec![]);
    let client = app.client();
    for _ in 0..3 {
        assert_eq!(
            client
                .post_json(
                    "/api/v1/password-resets",
                    &json!({ "email": "victim@example.com" })
                )
                .0,
            202
        );
    }
    let (status, body) = client.post_json(
        "/api/v1/password-resets",
        &json!({ "email": "victim@example.com" }),
    );
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        client
            .post_json(
                "/api/v1/password-resets",
                &json!({ "email": "other@example.com" })
            )
            .0,
        202
    );
}
