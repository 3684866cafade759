//! Account flows in a real browser (headless Debian chromium): sign up, follow the mailed
//! link, sign out, sign in; on a phone and on a desktop window.

mod common;

use std::time::Duration;

use common::browser::{Browser, Window};
use common::{PASSWORD, TestApp};

async fn sign_up_verify_and_sign_in(window: Window, username: &str) {
    let app = TestApp::start();
    let Some(browser) = Browser::start(window).await else {
        return;
    };
    let email = format!("{username}@example.com");

    browser
        .client
        .goto(&app.url("/sign-up"))
        .await
        .expect("open sign-up");
    browser.screenshot(&format!("sign-up-{window:?}")).await;
    browser.fill("#f-username", username).await;
    browser.fill("#f-email", &email).await;
    browser.fill("#f-password", PASSWORD).await;
    browser
        .click("form[action='/sign-up'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/");
    assert!(
        browser
            .text(".flash-success")
            .await
            .contains("We sent you an email")
    );
    assert!(browser.text(".account-nav").await.contains(username));

    let mail = app.smtp.wait_for(&email, 1, Duration::from_secs(20));
    let link = mail[0]
        .text_body()
        .lines()
        .find(|l| l.contains("/verify?token="))
        .expect("link")
        .trim()
        .to_string();
    browser
        .client
        .goto(&link)
        .await
        .expect("open the mailed link");
    browser
        .click("form[action='/verify'] button[type=submit]")
        .await;
    browser.wait_for_text(".flash-success", "confirmed").await;

    browser.click("form[action='/sign-out'] button").await;
    browser.wait_for_text(".flash", "signed out").await;
    browser
        .client
        .goto(&app.url("/sign-in"))
        .await
        .expect("open sign-in");
    browser.fill("#f-login", &email).await;
    browser.fill("#f-password", PASSWORD).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    browser.wait_for_text(".flash-success", "signed in").await;
    browser
        .client
        .goto(&app.url("/settings"))
        .await
        .expect("open settings");
    browser.wait_for_text("#verification", "Verified").await;
    browser.screenshot(&format!("settings-{window:?}")).await;
    browser.close().await;
}

#[tokio::test]
async fn member_signs_up_follows_the_mailed_link_and_signs_in_on_a_phone() {
    sign_up_verify_and_sign_in(Window::Phone, "phoneuser").await;
}

#[tokio::test]
async fn member_signs_up_follows_the_mailed_link_and_signs_in_on_a_desktop() {
    sign_up_verify_and_sign_in(Window::Desktop, "deskuser").await;
}
