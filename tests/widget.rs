//! The feedback widget: Acme lists one site that may embed it. A page on that site (another
//! loopback port) shows the "Help & feedback" button; in the panel a signed-in customer
//! searches and asks a question. A page on a site not on the list gets the button but the
//! browser refuses the panel (frame-ancestors).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::browser::{Browser, Window};
use common::staff::company;
use common::{PASSWORD, TestApp};
use fantoccini::Locator;
use serde_json::{Value, json};

/// Serves one HTML page on a loopback port, to anyone, until the test ends.
fn serve_page(html: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let mut stream = stream;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                html.len()
            );
            stream.write_all(reply.as_bytes()).ok();
        }
    });
    origin
}

fn shop_page(app: &TestApp, name: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>Printer setup guide</title></head><body><h1>{name}</h1>\
         <script src=\"{}/widget.js\" data-brand=\"acme\" async></script></body></html>",
        app.base
    )
}

#[test]
fn only_brand_admins_choose_the_sites_and_only_those_may_frame_the_panel() {
    let app = TestApp::start();
    let co = company(&app);
    let path = "/api/v1/brands/acme/widget";
    for bad in [
        json!({ "origins": ["https://shop.example/help"] }),
        json!({ "origins": ["javascript:alert(1)"] }),
        json!({ "origins": ["*"] }),
    ] {
        let (status, body) = app.as_member(&co.admin, "PUT", path, bad.clone());
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let allowed = json!({ "origins": ["https://shop.example/", "https://shop.example"] });
    for who in [&co.staff, &co.asker, &co.other_staff] {
        let (status, _) = app.as_member(who, "PUT", path, allowed.clone());
        assert_eq!(status, 403, "{}", who.username);
    }
    let (status, set) = app.as_member(&co.admin, "PUT", path, allowed);
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["origins"], json!(["https://shop.example"]));
    assert!(
        set["snippet"]
            .as_str()
            .unwrap()
            .contains("data-brand=\"acme\"")
    );

    // the team page's form saves the list too (its path is not taken for a staff member's)
    let boss = common::staff::signed_in(&app, &co.admin.username);
    let team = boss.get("/brands/acme/team");
    let saved = boss.post_form(
        "/brands/acme/team/widget",
        &team.csrf_token(),
        &[("origins", "https://shop.example\nhttps://help.shop.example")],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, set) = app.as_member(&co.admin, "GET", path, json!({}));
    assert_eq!(
        set["origins"],
        json!(["https://shop.example", "https://help.shop.example"])
    );

    let panel = app.client().get("/brands/acme/widget");
    assert_eq!(panel.status, 200);
    let csp = panel.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("frame-ancestors https://shop.example"),
        "{csp}"
    );
    assert!(panel.header("x-frame-options").is_none());
    let other = app.client().get("/brands/other/widget");
    assert!(
        other
            .header("content-security-policy")
            .unwrap_or("")
            .contains("frame-ancestors 'none'")
    );
    let page = app.client().get("/brands/acme");
    assert_eq!(
        page.header("x-frame-options"),
        Some("DENY"),
        "other pages are never framed"
    );

    let loader = app.client().get("/widget.js");
    assert_eq!(loader.status, 302);
    let script = app.client().get(loader.header("location").unwrap());
    assert_eq!(script.status, 200);
    assert!(
        script.body.len() < 20 * 1024,
        "the loader is {} bytes",
        script.body.len()
    );
}

#[tokio::test]
async fn a_customer_searches_and_asks_through_the_widget_on_the_brands_site() {
    let app = TestApp::start();
    let co = company(&app);
    let shop = serve_page(shop_page(&app, "Acme shop"));
    let stranger = serve_page(shop_page(&app, "Somebody else's site"));
    let (status, body) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/widget",
        json!({ "origins": [shop] }),
    );
    assert_eq!(status, 200, "{body}");
    // the company's topic is searchable before the customer looks
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .client()
        .get("/api/v1/search?q=printer&brand=acme")
        .json()["items"]
        == json!([])
    {
        assert!(Instant::now() < deadline, "never indexed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(browser) = Browser::start(Window::Desktop).await else {
        return;
    };
    browser
        .client
        .goto(&app.url("/sign-in"))
        .await
        .expect("sign-in page");
    browser.fill("#f-login", "mia").await;
    browser.fill("#f-password", PASSWORD).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    browser.wait_for_text(".flash-success", "signed in").await;

    browser.client.goto(&shop).await.expect("the shop's page");
    browser.click(".kotae-widget-button").await;
    enter_panel(&browser).await;
    browser.wait_for_text("h1", "Help & feedback").await;
    browser.fill("#widget-q", "printer").await;
    browser.click("form[role=search] button[type=submit]").await;
    browser
        .wait_for_text("#main", "The printer stopped printing")
        .await;
    browser
        .fill("#widget-title", "Does the scanner work with the X200?")
        .await;
    browser
        .fill("#widget-body", "Asking from the shop's help button.")
        .await;
    browser.click("form[method=post] button[type=submit]").await;
    browser
        .wait_for_text(".flash-success", "Does the scanner work with the X200?")
        .await;
    let listed: Value = app.client().get("/api/v1/brands/acme/topics").json();
    let asked = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Does the scanner work with the X200?")
        .cloned()
        .expect("the question is in the community");
    assert_eq!(asked["author"]["username"], "mia", "{asked}");

    // a site the brand did not list: the browser refuses to show the panel in its frame
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("back to the page");
    browser
        .client
        .goto(&stranger)
        .await
        .expect("the stranger's page");
    browser.click(".kotae-widget-button").await;
    // the allowed site's panel loaded within moments; give this one three seconds to fail
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        browser
            .client
            .enter_frame(0)
            .await
            .expect("the frame element is there");
        let panel = browser.client.find(Locator::Css("#widget-q")).await;
        assert!(panel.is_err(), "the panel loaded on a site not on the list");
        browser
            .client
            .enter_parent_frame()
            .await
            .expect("back to the page");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.close().await;
}

/// Switches into the panel's frame once it has loaded.
async fn enter_panel(browser: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if browser.client.enter_frame(0).await.is_ok()
            && browser.client.find(Locator::Css("#widget-q")).await.is_ok()
        {
            return;
        }
        let _ = browser.client.enter_parent_frame().await;
        assert!(Instant::now() < deadline, "the panel never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
