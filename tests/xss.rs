//! Script-injection payloads in every place a member can type, checked in every place they
//! come out: pages, the API's HTML, Atom feeds and mail.

mod common;

use std::time::Duration;

use common::TestApp;
use common::html_safety::dangers;
use serde_json::json;

const PAYLOADS: [&str; 38] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "[x](&#106;avascript:alert(1))",
    "<scr<script>ipt>alert(1)</script>",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "[a](<javascript:alert(1)>)",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!--<script>alert(1)</script>-->",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "]]></content><script>alert(1)</script>",
    "Subject\r\nBcc: evil@example.com\r\n\r\n<script>alert(1)</script>",
];

fn assert_harmless(place: &str, html: &str) {
    let found = dangers(html);
    assert!(found.is_empty(), "{place} lets script through: {found:?}");
}

/// The HTML inside an Atom feed's escaped content elements, unescaped as a feed reader would.
fn feed_contents(xml: &str) -> Vec<String> {
    xml.split("<content type=\"html\">")
        .skip(1)
        .map(|rest| {
            rest.split("</content>")
                .next()
                .unwrap_or_default()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn payloads_come_out_harmless_everywhere() {
    let app = TestApp::start();
    let (alice, bob) = (app.member("alice"), app.member("bob"));
    let browser = app.client();
    browser.submit(
        "/sign-in",
        "/sign-in",
        &[("login", "alice"), ("password", common::PASSWORD)],
    );
    browser.submit(
        "/settings",
        "/settings/profile",
        &[
            ("display_name", "<img src=x onerror=alert(1)>"),
            ("language", "en"),
        ],
    );

    let (status, body) = app.as_member(&alice,
        "POST",
        "/api/v1/brands",
        json!({
            "name": "<script>alert(1)</script> Brand", "slug": "xss", "description": PAYLOADS[1], "products": [PAYLOADS[2]],
        }),
    );
    assert_eq!(status, 201, "{body}");
    let mut topics = vec![];
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let title: String = format!("T{i} {payload}").chars().take(200).collect();
        let (status, topic) = app.as_member(
            &alice,
            "POST",
            "/api/v1/brands/xss/topics",
            json!({
                "kind": "question", "title": title, "body": payload,
            }),
        );
        assert_eq!(status, 201, "payload {i}: {topic}");
        let id = topic["id"].as_i64().expect("id");
        assert_harmless(
            &format!("API body_html of payload {i}"),
            topic["body_html"].as_str().expect("html"),
        );
        let (status, reply) = app.as_member(
            &bob,
            "POST",
            &format!("/api/v1/topics/{id}/replies"),
            json!({ "body": payload }),
        );
        assert_eq!(status, 201, "payload {i}: {reply}");
        assert_harmless(
            &format!("API reply body_html of payload {i}"),
            reply["body_html"].as_str().expect("html"),
        );
        topics.push(id);
    }

    for (i, id) in topics.iter().enumerate() {
        let page = browser.get(&format!("/brands/xss/topics/{id}"));
        assert_eq!(page.status, 200);
        assert_harmless(&format!("topic page of payload {i}"), &page.body);
        let feed = app
            .client()
            .get(&format!("/brands/xss/topics/{id}/feed.atom"));
        assert_harmless(&format!("topic feed of payload {i}"), &feed.body);
        for content in feed_contents(&feed.body) {
            assert_harmless(&format!("topic feed entry of payload {i}"), &content);
        }
    }
    for path in [
        "/",
        "/brands/xss",
        "/brands/xss?sort=top",
        "/users/alice",
        "/users/bob",
        "/brands/xss/ask",
    ] {
        assert_harmless(path, &browser.get(path).body);
    }
    let feed = app.client().get("/brands/xss/feed.atom").body;
    assert_harmless("brand feed", &feed);
    let contents = feed_contents(&feed);
    assert_eq!(contents.len(), 30, "the feed holds the newest 30 topics");
    for content in contents {
        assert_harmless("brand feed entry", &content);
    }

    // alice follows every topic she opened; bob's replies reach her by mail
    let mail = app
        .smtp
        .wait_for(&alice.email, 1 + PAYLOADS.len(), Duration::from_secs(60));
    for message in mail.iter().skip(1) {
        assert_harmless(
            &format!("mail {}", message.subject()),
            &message.html_body().expect("html part"),
        );
        assert!(message.header("bcc").is_none(), "a title added a header");
        assert!(!message.subject().contains('\n'));
    }
}

#[test]
fn the_checker_sees_the_raw_payloads() {
    // the check above proves something only if the payloads, rendered without the
    // sanitiser, trip it
    let unsanitised = |markdown: &str| {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
        html
    };
    let flagged = PAYLOADS
        .iter()
        .filter(|p| !dangers(&unsanitised(p)).is_empty())
        .count();
    assert!(
        flagged >= 30,
        "only {flagged} payloads were seen as dangerous before sanitising"
    );
    assert!(
        !dangers(&kotae::markdown::to_html("plain **text**"))
            .iter()
            .any(|d| !d.is_empty())
    );
}

/// Staff views show what attackers write: flag notes, claim reasons, notes, titles, status
/// notes, saved replies. None of it may run there, or in the mail it causes.
#[test]
fn staff_views_show_attacker_text_harmlessly() {
    let app = TestApp::start();
    let co = common::staff::company(&app);
    let mut topics = vec![];
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let title: String = format!("F{i} {payload}").chars().take(200).collect();
        let (status, topic) = app.as_member(
            &co.member,
            "POST",
            "/api/v1/brands/acme/topics",
            json!({ "kind": "problem", "title": title, "body": payload }),
        );
        assert_eq!(status, 201, "{topic}");
        let id = topic["id"].as_i64().expect("id");
        let note: String = payload.chars().take(500).collect();
        let (status, _) = app.as_member(
            &co.asker,
            "POST",
            &format!("/api/v1/topics/{id}/flags"),
            json!({ "reason": "abuse", "note": note }),
        );
        assert_eq!(status, 201);
        let (status, created) = app.as_member(
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{id}/notes"),
            json!({ "body": format!("{payload} @boss") }),
        );
        assert_eq!(status, 201);
        assert_harmless(
            "API note body_html",
            created["body_html"].as_str().expect("html"),
        );
        let reason: String = format!("R {payload}").chars().take(500).collect();
        let (status, _) = app.as_member(
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{id}/escalations"),
            json!({ "reason": reason }),
        );
        assert_eq!(status, 201);
        let status_note: String = payload.chars().take(2000).collect();
        let (status, _) = app.as_member(
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{id}/status"),
            json!({ "status": "acknowledged", "note": status_note }),
        );
        assert_eq!(status, 200);
        topics.push(id);
    }
    let title: String = PAYLOADS[0].chars().take(60).collect();
    let (status, _) = app.as_member(
        &co.admin,
        "PATCH",
        &format!("/api/v1/brands/acme/staff/{}", co.staff.id),
        json!({ "title": title }),
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        "/api/v1/brands/acme/saved-replies",
        json!({ "title": PAYLOADS[1], "body": PAYLOADS[2] }),
    );
    assert_eq!(status, 201);
    common::staff::create_brand(&app, &co.member, "Plain", "plain", None);
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        "/api/v1/brands/plain/claims",
        json!({ "reason": format!("{} and more", PAYLOADS[0]) }),
    );
    assert_eq!(status, 202);

    let staff = common::staff::signed_in(&app, "sam");
    for path in [
        "/brands/acme/moderation",
        "/brands/acme/team",
        "/brands/acme/queue?view=all",
        "/brands/acme/escalations",
    ] {
        let page = staff.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert_harmless(path, &page.body);
    }
    for id in &topics {
        let page = staff.get(&format!("/brands/acme/topics/{id}"));
        assert_eq!(page.status, 200);
        assert_harmless(&format!("staff topic page {id}"), &page.body);
    }
    let admin = common::staff::signed_in(&app, "root").get("/admin");
    assert_eq!(admin.status, 200);
    assert_harmless("site admin page", &admin.body);

    // mention mail to boss and status mail to the author carry the payloads
    let mut mail = app
        .smtp
        .wait_for(&co.admin.email, PAYLOADS.len(), Duration::from_secs(60));
    mail.extend(
        app.smtp
            .wait_for(&co.member.email, PAYLOADS.len(), Duration::from_secs(60)),
    );
    for message in mail {
        if let Some(html) = message.html_body() {
            assert_harmless(&format!("mail {}", message.subject()), &html);
        }
        assert!(message.header("bcc").is_none(), "a title added a header");
    }
}
