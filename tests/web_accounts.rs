//! Account pages in a browser's shoes: forms with CSRF tokens, cookies, redirects, flashes,
//! languages, headers.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestApp, token_from};
use serde_json::json;

fn session_of(client: &common::Client) -> Option<String> {
    client.cookie("kotae_session").filter(|v| !v.is_empty())
}

fn me(client: &common::Client) -> serde_json::Value {
    let answer = client.get("/api/v1/me");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[test]
fn sign_up_page_signs_in_and_the_mailed_link_verifies_after_one_click() {
    let app = TestApp::start();
    let browser = app.client();
    let answer = browser.submit(
        "/sign-up",
        "/sign-up",
        &[
            ("username", "hana"),
            ("email", "hana@example.com"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/"));
    assert!(session_of(&browser).is_some());
    assert_eq!(me(&browser)["email_verified"], false);

    let home = browser.get("/");
    assert!(
        home.body
            .contains("We sent you an email to confirm your address"),
        "flash shown once"
    );
    assert!(
        !browser
            .get("/")
            .body
            .contains("We sent you an email to confirm"),
        "flash gone on the next page"
    );

    let mail = app
        .smtp
        .wait_for("hana@example.com", 1, Duration::from_secs(20));
    assert_eq!(mail[0].subject(), "Confirm your email address for Kotae");
    let token = token_from(&mail[0].text_body(), "/verify?token=");
    assert!(mail[0].html_body().expect("html part").contains(&token));

    // following the link (as a mail scanner would) changes nothing
    let page = browser.get(&format!("/verify?token={token}"));
    assert_eq!(page.status, 200);
    assert_eq!(me(&browser)["email_verified"], false);
    let answer = browser.post_form("/verify", &page.csrf_token(), &[("token", &token)]);
    assert_eq!(answer.status, 303);
    assert_eq!(me(&browser)["email_verified"], true);
}

#[test]
fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::start();
    app.member("kenji");
    let browser = app.client();
    browser.get("/sign-in");
    for token in ["", "forged-token"] {
        let answer = browser.post_form(
            "/sign-in",
            token,
            &[("login", "kenji"), ("password", PASSWORD)],
        );
        assert_eq!(answer.status, 403, "token {token:?}");
        assert!(
            answer.body.contains("<html"),
            "an error page, not a bare message"
        );
        assert!(session_of(&browser).is_none());
    }
    // a token from another browser does not work either
    let other = app.client();
    let foreign = other.get("/sign-in").csrf_token();
    assert_eq!(
        browser
            .post_form(
                "/sign-in",
                &foreign,
                &[("login", "kenji"), ("password", PASSWORD)]
            )
            .status,
        403
    );
}

#[test]
fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    let app = TestApp::start();
    app.member("kenji");
    let browser = app.client();
    let answer = browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "kenji"), ("password", "wrong password!")],
    );
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("do not match"));
    assert!(
        answer.body.contains("value=\"kenji\""),
        "the login is kept in the form"
    );

    let answer = browser.submit(
        "/sign-in?next=/settings",
        "/sign-in",
        &[
            ("login", "kenji"),
            ("password", PASSWORD),
            ("next", "/settings"),
        ],
    );
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/settings"));
    let first = session_of(&browser).expect("session cookie");
    let set_cookie: Vec<&str> = answer
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(set_cookie.iter().any(|c| c.starts_with("kotae_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));

    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "kenji"), ("password", PASSWORD)],
    );
    let second = session_of(&browser).expect("session cookie");
    assert_ne!(first, second, "a new session at every sign-in");

    let answer = browser.submit("/settings", "/sign-out", &[]);
    assert_eq!(answer.status, 303);
    assert_eq!(
        browser.get("/settings").status,
        303,
        "signed out: settings redirect to sign-in"
    );
    let stale = app.client();
    let (status, _) = stale.get_as("/api/v1/me", "ignored");
    assert_eq!(status, 401);

    // an off-site `next` is not followed
    let answer = browser.submit(
        "/sign-in",
        "/sign-in",
        &[
            ("login", "kenji"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(answer.header("location"), Some("/"));
}

#[test]
fn settings_change_password_email_and_sign_out_everywhere() {
    let app = TestApp::start();
    let kenji = app.member("kenji");
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "kenji"), ("password", PASSWORD)],
    );

    let answer = browser.submit(
        "/settings",
        "/settings/profile",
        &[
            ("display_name", "<script>alert(1)</script>Kenji"),
            ("language", "ja"),
        ],
    );
    assert_eq!(answer.status, 303);
    let page = browser.get("/settings");
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;Kenji")
    );
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(page.body.contains("<html lang=\"ja\">") && page.body.contains("設定"));

    let answer = browser.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", "wrong password!"),
            ("new_password", "a fresh passphrase"),
        ],
    );
    assert_eq!(answer.status, 422);
    let answer = browser.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a fresh passphrase"),
        ],
    );
    assert_eq!(answer.status, 303);
    assert_eq!(
        browser.get("/settings").status,
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        app.client().get_as("/api/v1/me", &kenji.token).0,
        401,
        "other sessions end"
    );

    let answer = browser.submit(
        "/settings",
        "/settings/email",
        &[
            ("email", "kenji@new.example.com"),
            ("current_password", "a fresh passphrase"),
        ],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    let mail = app
        .smtp
        .wait_for("kenji@new.example.com", 1, Duration::from_secs(20));
    assert!(
        mail[0].subject().contains("メールアドレスの確認"),
        "mail in the member's language: {}",
        mail[0].subject()
    );
    let token = token_from(&mail[0].text_body(), "/verify?token=");
    let page = browser.get(&format!("/verify?token={token}"));
    browser.post_form("/verify", &page.csrf_token(), &[("token", &token)]);
    assert_eq!(me_email(&browser), "kenji@new.example.com");

    let other = app.client();
    other.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "kenji"), ("password", "a fresh passphrase")],
    );
    let answer = browser.submit("/settings", "/settings/sign-out-everywhere", &[]);
    assert_eq!(answer.status, 303);
    assert_eq!(other.get("/settings").status, 303);
    assert_eq!(browser.get("/settings").status, 303);
}

fn me_email(client: &common::Client) -> String {
    client.get("/api/v1/me").json()["email"]
        .as_str()
        .expect("email")
        .to_string()
}

#[test]
fn cookie_authenticated_api_writes_need_the_csrf_header() {
    let app = TestApp::start();
    app.member("kenji");
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "kenji"), ("password", PASSWORD)],
    );
    let (status, _) = browser.send_json("DELETE", "/api/v1/tokens/current", &json!(null), &[]);
    assert_eq!(status, 403);
    let page = browser.get("/settings");
    let marker = "name=\"csrf-token\" content=\"";
    let start = page.body.find(marker).expect("csrf meta") + marker.len();
    let token: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let (status, _) = browser.send_json(
        "DELETE",
        "/api/v1/tokens/current",
        &json!(null),
        &[("x-csrf-token", &token)],
    );
    assert_eq!(status, 204);
    assert_eq!(browser.get("/api/v1/me").status, 401);
}

#[test]
fn pages_carry_security_and_cache_headers() {
    let app = TestApp::start();
    let browser = app.client();
    let home = browser.get("/");
    assert_eq!(home.status, 200);
    let csp = home.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert!(home.header("referrer-policy").is_some());

    let missing = browser.get("/no/such/page");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page not found"));
    assert_eq!(missing.header("cache-control"), Some("private, no-store"));
    let api_missing = browser.get("/api/v1/nothing");
    assert_eq!(api_missing.status, 404);
    assert_eq!(
        api_missing.header("content-type"),
        Some("application/problem+json")
    );

    let css_url = {
        let start = home.body.find("/assets/app.").expect("stylesheet link");
        home.body[start..]
            .split('"')
            .next()
            .expect("url")
            .to_string()
    };
    let css = browser.get(&css_url);
    assert_eq!(css.status, 200);
    assert!(
        css.header("cache-control")
            .expect("cache")
            .contains("immutable")
    );
    let etag = css.header("etag").expect("etag").to_string();
    assert_eq!(
        browser
            .get_with(&css_url, &[("if-none-match", &etag)])
            .status,
        304
    );

    let health = browser.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
}

#[test]
fn japanese_is_chosen_from_the_header_and_the_switch() {
    let app = TestApp::start();
    let browser = app.client();
    let page = browser.get_with("/sign-in", &[("accept-language", "ja,en;q=0.5")]);
    assert!(page.body.contains("<html lang=\"ja\">") && page.body.contains("ログイン"));
    let english = browser.get("/sign-in");
    let answer = browser.post_form(
        "/language",
        &english.csrf_token(),
        &[("lang", "ja"), ("return_to", "/sign-up")],
    );
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/sign-up"));
    assert!(browser.get("/sign-up").body.contains("アカウントを作成"));
}

#[test]
fn reset_by_page_signs_in_with_the_new_password() {
    let app = TestApp::start();
    app.member("yui");
    let browser = app.client();
    let answer = browser.submit("/reset", "/reset", &[("email", "yui@example.com")]);
    assert_eq!(answer.status, 303);
    let mail = app
        .smtp
        .wait_for("yui@example.com", 2, Duration::from_secs(20));
    let token = token_from(&mail[1].text_body(), "/reset/confirm?token=");
    let page = browser.get(&format!("/reset/confirm?token={token}"));
    assert!(!page.body.contains("kotae_session"));
    let answer = browser.post_form(
        "/reset/confirm",
        &page.csrf_token(),
        &[("token", &token), ("password", "yet another passphrase")],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(browser.get("/settings").status, 200);
}
