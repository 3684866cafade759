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
    // the click returns before the next page has loaded
    browser
        .wait_for_text(".flash-success", "We sent you an email")
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

async fn sign_in(browser: &Browser, app: &TestApp, login: &str) {
    sign_in_with(browser, app, login, PASSWORD).await;
}

async fn ask_answer_accept(window: Window) {
    let app = TestApp::start();
    let alice = app.member("alice");
    app.member("bob");
    let created = app.client().send_json(
        "POST",
        "/api/v1/brands",
        &serde_json::json!({ "name": "Acme Printers", "slug": "acme", "products": ["LaserJet 5"] }),
        &[("authorization", &format!("Bearer {}", alice.token))],
    );
    assert_eq!(created.0, 201);
    let Some(browser) = Browser::start(window).await else {
        return;
    };

    sign_in(&browser, &app, "alice").await;
    browser
        .client
        .goto(&app.url("/brands/acme/ask"))
        .await
        .expect("open ask");
    browser.click("input[name=kind][value=question]").await;
    browser.fill("#f-title", "Printer jams on page 2").await;
    browser
        .fill("#f-body", "Every **second** page jams. What can I do?")
        .await;
    browser.click("input[name=feeling][value=frustrated]").await;
    browser
        .click("form[action$='/ask'] button[type=submit]")
        .await;
    browser
        .wait_for_text(".flash-success", "Your topic is posted")
        .await;
    let topic_path = browser.path().await;
    assert!(
        topic_path.starts_with("/brands/acme/topics/"),
        "{topic_path}"
    );
    browser.click("form[action='/sign-out'] button").await;
    browser.wait_for_text(".flash", "signed out").await;

    sign_in(&browser, &app, "bob").await;
    browser
        .client
        .goto(&app.url(&topic_path))
        .await
        .expect("open topic");
    browser
        .fill("#f-reply", "Open the rear tray and remove the torn sheet.")
        .await;
    browser.click("#reply-form button[type=submit]").await;
    browser
        .wait_for_text(".replies", "remove the torn sheet")
        .await;
    browser.click("form[action='/sign-out'] button").await;
    browser.wait_for_text(".flash", "signed out").await;

    sign_in(&browser, &app, "alice").await;
    browser
        .client
        .goto(&app.url(&topic_path))
        .await
        .expect("open topic");
    browser.click("form[action$='/accept'] button").await;
    browser
        .wait_for_text(".accepted", "remove the torn sheet")
        .await;
    browser.wait_for_text(".topic", "Answered").await;
    browser.screenshot(&format!("topic-{window:?}")).await;
    browser
        .client
        .goto(&app.url("/brands/acme"))
        .await
        .expect("open brand");
    browser.screenshot(&format!("brand-{window:?}")).await;
    browser.close().await;
}

#[tokio::test]
async fn customer_asks_another_answers_and_the_asker_accepts_on_a_phone() {
    ask_answer_accept(Window::Phone).await;
}

#[tokio::test]
async fn customer_asks_another_answers_and_the_asker_accepts_on_a_desktop() {
    ask_answer_accept(Window::Desktop).await;
}

/// A company claims its community through the mailed link, takes a thread from the queue,
/// answers officially and solves it; the customer sees the official answer and the status.
#[tokio::test]
async fn a_company_claims_its_community_and_solves_a_thread_from_the_queue() {
    let app = TestApp::start();
    let ana = app.member("ana");
    app.member("boss");
    common::staff::create_brand(&app, &ana, "Acme", "acme", Some("acme.test"));
    common::staff::post_topic(&app, &ana, "acme", "problem", "Paper jams on every page");
    let Some(browser) = Browser::start(Window::Desktop).await else {
        return;
    };

    sign_in(&browser, &app, "boss").await;
    browser
        .client
        .goto(&app.url("/brands/acme"))
        .await
        .expect("open brand");
    browser.click("a[href='/brands/acme/claim']").await;
    browser.fill("#f-email", "boss@acme.test").await;
    browser
        .click("form[action='/brands/acme/claim'] .btn-primary")
        .await;
    browser
        .wait_for_text(".flash-success", "confirmation link")
        .await;
    let mail = app
        .smtp
        .wait_for("boss@acme.test", 1, Duration::from_secs(20));
    let link = mail[0]
        .text_body()
        .lines()
        .find(|l| l.contains("/claims/confirm?token="))
        .expect("claim link")
        .trim()
        .to_string();
    browser
        .client
        .goto(&link)
        .await
        .expect("open the claim link");
    browser
        .click("form[action='/claims/confirm'] button[type=submit]")
        .await;
    browser
        .wait_for_text(".flash-success", "now official")
        .await;
    assert_eq!(browser.path().await, "/brands/acme/team");

    browser
        .client
        .goto(&app.url("/brands/acme/queue"))
        .await
        .expect("open queue");
    browser.screenshot("queue-Desktop").await;
    browser.click("table a[href*='/topics/']").await;
    browser
        .wait_for_text("h1", "Paper jams on every page")
        .await;
    let topic_path = browser.path().await;
    browser.click("button[name=take]").await;
    browser
        .wait_for_text(".flash-success", "assignment is saved")
        .await;
    browser
        .fill(
            "#f-reply",
            "Update the printer driver to 2.1; it fixes the jam.",
        )
        .await;
    browser.click("input[name=official_answer]").await;
    browser.click("#reply-form button[type=submit]").await;
    browser.wait_for_text(".replies", "driver to 2.1").await;
    browser.click("#f-status option[value=solved]").await;
    browser.fill("#f-status-note", "Fixed in driver 2.1").await;
    browser.click("form[action$='/status'] button").await;
    browser
        .wait_for_text(".flash-success", "status is changed")
        .await;
    browser.screenshot("topic-staff-Desktop").await;
    browser.click("form[action='/sign-out'] button").await;
    browser.wait_for_text(".flash", "signed out").await;

    sign_in(&browser, &app, "ana").await;
    browser
        .client
        .goto(&app.url(&topic_path))
        .await
        .expect("open topic");
    browser
        .wait_for_text("#official-heading", "Official answer from Acme")
        .await;
    browser.wait_for_text(".accepted", "driver to 2.1").await;
    browser.wait_for_text(".topic", "Solved").await;
    browser
        .wait_for_text(".timeline", "Fixed in driver 2.1")
        .await;
    assert!(
        !browser.text("main").await.contains("Internal notes"),
        "customers see no staff panel"
    );
    browser.screenshot("topic-solved-Desktop").await;
    let mail = app.smtp.wait_for(&ana.email, 2, Duration::from_secs(20));
    assert!(
        mail.iter()
            .any(|m| m.text_body().contains("Fixed in driver 2.1"))
    );
    browser.close().await;
}

/// A staff member reads the insights page: every chart is drawn at a legible size beside
/// its table, in English and in Japanese; screenshots of the whole page for people to see.
async fn insights_read(window: Window) {
    let mut app = TestApp::start();
    app.load_generated(1500, 2);
    let busiest: String = {
        use diesel::prelude::*;
        use kotae::db::schema::brands;
        brands::table
            .order(brands::topic_count.desc())
            .select(brands::slug)
            .first(&mut app.db())
            .expect("a generated brand")
    };
    let Some(browser) = Browser::start(window).await else {
        return;
    };
    sign_in_with(&browser, &app, "dana", kotae::demo::PASSWORD).await;
    browser
        .client
        .goto(&app.url(&format!("/brands/{busiest}/insights?days=30")))
        .await
        .expect("open insights");
    browser.wait_for_text("h1", "Insights").await;
    for lang in ["en", "ja"] {
        if lang == "ja" {
            browser.click("button[name=lang][value=ja]").await;
            browser.wait_for_text("h1", "インサイト").await;
        }
        // text drawn at 14 units in a 480-unit view box: the chart's width tells its size
        let widths = browser
            .client
            .execute(
                "return [...document.querySelectorAll('svg.chart')]\
                 .map(s => s.getBoundingClientRect().width);",
                vec![],
            )
            .await
            .expect("chart widths");
        let widths: Vec<f64> = serde_json::from_value(widths).expect("numbers");
        assert!(widths.len() >= 6, "{lang}: charts drawn: {widths:?}");
        for w in &widths {
            let text_px = w / 480.0 * 14.0;
            assert!(
                text_px >= 9.5,
                "{lang} {window:?}: chart text {text_px:.1}px"
            );
        }
        // the whole page in one picture: a window as tall as the page
        let (width, height) = browser.client.get_window_size().await.expect("size");
        let tall = browser
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .expect("page height");
        let tall = tall.as_u64().expect("a height") as u32;
        browser
            .client
            .set_window_size(width as u32, tall + 200)
            .await
            .expect("resize");
        browser
            .screenshot(&format!("insights-{lang}-{window:?}"))
            .await;
        browser
            .client
            .set_window_size(width as u32, height as u32)
            .await
            .expect("resize back");
    }
    browser.close().await;
}

async fn sign_in_with(browser: &Browser, app: &TestApp, login: &str, password: &str) {
    browser
        .client
        .goto(&app.url("/sign-in"))
        .await
        .expect("open sign-in");
    browser.fill("#f-login", login).await;
    browser.fill("#f-password", password).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    browser.wait_for_text(".flash-success", "signed in").await;
}

#[tokio::test]
async fn staff_read_insights_on_a_phone() {
    insights_read(Window::Phone).await;
}

#[tokio::test]
async fn staff_read_insights_on_a_desktop() {
    insights_read(Window::Desktop).await;
}

/// A customer on a phone is asked whether the fix worked and says no: the topic opens again
/// and goes back to the brand's staff.
#[tokio::test]
async fn a_customer_on_a_phone_says_the_fix_did_not_work_and_the_topic_opens_again() {
    let app = TestApp::start();
    let co = common::staff::company(&app);
    let Some(browser) = Browser::start(Window::Phone).await else {
        return;
    };
    let topic =
        common::staff::post_topic(&app, &co.asker, "acme", "problem", "Tray 2 is not detected");
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{topic}/status"),
        serde_json::json!({ "status": "solved" }),
    );
    assert_eq!(status, 200);
    sign_in(&browser, &app, "ana").await;
    browser
        .client
        .goto(&app.url(&format!("/brands/acme/topics/{topic}")))
        .await
        .expect("open the topic");
    assert!(
        browser
            .text("#ask-fixed")
            .await
            .contains("Did this fix it for you?")
    );
    browser.screenshot("ask-fixed-Phone").await;
    browser.click("#ask-fixed input[value='no'] + button").await;
    browser.wait_for_text(".flash-success", "open again").await;
    assert!(browser.text(".topic header").await.contains("Open"));
    let (_, escalations) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/escalations?state=open",
        serde_json::Value::Null,
    );
    assert!(
        escalations.to_string().contains("not_fixed"),
        "{escalations}"
    );
}
