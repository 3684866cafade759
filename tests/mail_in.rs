//! Replies by email: a customer answers a notification mail from their mail program (a
//! multipart message with the quoted history); exactly their new words are posted, once,
//! through the HTTP relay endpoint and through `kotae mail-in`. Staff answering a staff mail
//! add an internal note. Twenty hostile or malformed messages post nothing.

mod common;

use std::time::Duration;

use common::staff::{Company, company};
use common::{Member, Options, ReceivedMail, TestApp};
use serde_json::{Value, json};

const SECRET: &str = "relay-secret-relay-secret-relay-secret-42";

fn with_inbound_mail() -> Options {
    Options {
        env: vec![("KOTAE_INBOUND_SECRET".into(), SECRET.into())],
        ..Options::default()
    }
}

fn relay(app: &TestApp, raw: &[u8]) -> (u16, Value) {
    let answer = app.client().send_raw(
        "POST",
        "/api/v1/mail/inbound",
        "message/rfc822",
        raw.to_vec(),
        &[("x-kotae-inbound-secret", SECRET)],
    );
    let body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, body)
}

/// Waits for a mail to `who` that carries a reply address and `text`.
fn mail_with_reply_to(app: &TestApp, who: &Member, text: &str) -> ReceivedMail {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = app
            .smtp
            .messages_to(&who.email)
            .into_iter()
            .find(|m| m.header("Reply-To").is_some() && m.text_body().contains(text));
        if let Some(mail) = found {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {} with a reply address",
            who.email
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A reply as Gmail writes it: plain and HTML alternatives, the original quoted below.
fn gmail_reply(
    from: &str,
    to: &str,
    message_id: &str,
    text: &str,
    original: &ReceivedMail,
) -> Vec<u8> {
    let quoted: String = original
        .text_body()
        .lines()
        .map(|l| format!("> {l}\r\n"))
        .collect();
    format!(
        "From: Someone <{from}>\r\nTo: {to}\r\nSubject: Re: {subject}\r\nMessage-ID: <{message_id}>\r\n\
In-Reply-To: {original_id}\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"000000000000b1\"\r\n\r\n\
--000000000000b1\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n{text}\r\n\r\n\
On Wed, Dec 2, 2026 at 9:58 AM Kotae <kotae@kotae.test> wrote:\r\n\r\n{quoted}\r\n\
--000000000000b1\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n\
<div dir=\"ltr\">{text}</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">\
On Wed, Dec 2, 2026 at 9:58 AM Kotae &lt;kotae@kotae.test&gt; wrote:<br></div>\
<blockquote class=\"gmail_quote\">{html}</blockquote></div>\r\n--000000000000b1--\r\n",
        subject = original.subject(),
        original_id = original.header("Message-ID").unwrap_or_default(),
        html = original.html_body().unwrap_or_default(),
    )
    .into_bytes()
}

fn replies(app: &TestApp, topic: i64) -> Vec<Value> {
    let shown = app.client().get(&format!("/api/v1/topics/{topic}")).json();
    shown["replies"].as_array().expect("replies").clone()
}

fn notes(app: &TestApp, co: &Company) -> Vec<Value> {
    let (status, body) = app.as_member(
        &co.staff,
        "GET",
        &format!("/api/v1/topics/{}/notes", co.topic),
        json!(null),
    );
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().expect("notes").clone()
}

#[test]
fn a_reply_to_a_notification_posts_only_its_new_text_once() {
    let app = TestApp::start_with(with_inbound_mail());
    let co = company(&app);
    // mia's reply reaches ana, who follows her question
    let notification = mail_with_reply_to(&app, &co.asker, "Reply above this line");
    let reply_to = notification.header("Reply-To").unwrap();
    assert!(
        reply_to.contains("reply+") && reply_to.contains("@kotae.test"),
        "{reply_to}"
    );
    assert!(
        notification.text_body().contains("Reply above this line"),
        "{}",
        notification.text_body()
    );
    let before = replies(&app, co.topic).len();

    let text = "It works again after the reset, thank you!";
    let raw = gmail_reply(
        &co.asker.email,
        &reply_to,
        "r1@mail.example",
        text,
        &notification,
    );
    assert_eq!(relay(&app, &raw), (202, json!({ "outcome": "posted" })));
    let after = replies(&app, co.topic);
    assert_eq!(after.len(), before + 1);
    let posted = after.last().unwrap();
    assert_eq!(posted["body"], text, "{posted}");
    assert_eq!(posted["author"]["username"], "ana", "{posted}");

    // the same message again, by the relay or by the MTA's pipe, posts nothing
    assert_eq!(
        relay(&app, &raw),
        (202, json!({ "outcome": "dropped", "reason": "duplicate" }))
    );
    let (code, printed) = app.mail_in(&raw);
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("duplicate"), "{printed}");
    assert_eq!(replies(&app, co.topic).len(), before + 1);

    // without the relay's secret nothing is read
    let answer = app.client().send_raw(
        "POST",
        "/api/v1/mail/inbound",
        "message/rfc822",
        raw.clone(),
        &[("x-kotae-inbound-secret", "wrong")],
    );
    assert_eq!(answer.status, 403);

    // Japanese, through `kotae mail-in`, quoted as Japanese Gmail quotes
    let japanese = format!(
        "From: {from}\r\nTo: {reply_to}\r\nSubject: =?UTF-8?B?UmU6IOi/lOS/oQ==?=\r\nMessage-ID: <r2@mail.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n",
        from = co.asker.email,
        body = base64_lines(
            "リセットしたら直りました。\r\n\r\n2026年12月2日(水) 9:58 Kotae <kotae@kotae.test>:\r\n> 返信です\r\n"
        ),
    );
    let (code, printed) = app.mail_in(japanese.as_bytes());
    assert_eq!((code, printed.trim()), (0, r#"{"outcome":"posted"}"#));
    assert_eq!(
        replies(&app, co.topic).last().unwrap()["body"],
        "リセットしたら直りました。"
    );
}

fn base64_lines(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

#[test]
fn staff_answering_a_staff_mail_add_an_internal_note() {
    let app = TestApp::start_with(with_inbound_mail());
    let co = company(&app);
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.staff.id }),
    );
    assert_eq!(status, 200);
    let assigned = mail_with_reply_to(&app, &co.staff, "internal note");
    let note_address = assigned.header("Reply-To").unwrap();
    assert!(
        assigned.text_body().contains("internal note"),
        "{}",
        assigned.text_body()
    );
    let before = replies(&app, co.topic).len();
    let raw = gmail_reply(
        &co.staff.email,
        &note_address,
        "n1@mail.example",
        "Checked the logs: firmware 2.1 on this one.",
        &assigned,
    );
    assert_eq!(relay(&app, &raw), (202, json!({ "outcome": "noted" })));
    let kept = notes(&app, &co);
    assert!(
        kept.iter()
            .any(|n| n["body"] == "Checked the logs: firmware 2.1 on this one."),
        "{kept:?}"
    );
    assert_eq!(replies(&app, co.topic).len(), before, "nothing public");
}

#[test]
fn hostile_and_malformed_mail_posts_nothing() {
    let app = TestApp::start_with(with_inbound_mail());
    let co = company(&app);
    let notification = mail_with_reply_to(&app, &co.asker, "Reply above this line");
    let key = notification.header("Reply-To").unwrap().to_string();
    let ana = co.asker.email.clone();
    let forged = {
        let mut k = key.clone();
        let at = k.find('@').unwrap();
        let last = k.as_bytes()[at - 1];
        k.replace_range(at - 1..at, if last == b'0' { "1" } else { "0" });
        k
    };
    let plain = |headers: &str, body: &str| {
        format!("{headers}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n")
            .into_bytes()
    };
    let ok_headers = |extra: &str, id: &str| {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("\r\n{extra}")
        };
        format!("From: {ana}\r\nTo: {key}\r\nSubject: Re: printer\r\nMessage-ID: <{id}@x>{extra}")
    };
    let long = "word ".repeat(5_000);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown_key", plain(&format!("From: {ana}\r\nTo: reply+r-1-1-1-00000000000000000000000000000000@kotae.test\r\nMessage-ID: <h1@x>"), "hello")),
        ("unknown_key", plain(&format!("From: {ana}\r\nTo: {forged}\r\nMessage-ID: <h2@x>"), "hello")),
        ("sender_mismatch", plain(&format!("From: {}\r\nTo: {key}\r\nMessage-ID: <h3@x>", co.member.email), "I am ana, honest")),
        ("sender_mismatch", plain(&format!("From: \"{ana}\" <mallory@evil.example>\r\nTo: {key}\r\nMessage-ID: <h4@x>"), "hello")),
        ("auto_reply", plain(&ok_headers("Auto-Submitted: auto-replied", "h5"), "I am away")),
        ("auto_reply", plain(&ok_headers("Precedence: bulk", "h6"), "newsletter")),
        ("auto_reply", plain(&ok_headers("X-Autoreply: yes", "h7"), "away")),
        ("auto_reply", plain(&format!("From: {ana}\r\nTo: {key}\r\nSubject: Out of Office: back Monday\r\nMessage-ID: <h8@x>"), "away")),
        ("auto_reply", plain(&format!("From: {ana}\r\nTo: {key}\r\nSubject: 自動返信: 不在です\r\nMessage-ID: <h9@x>"), "不在です")),
        ("bounce", format!("From: {ana}\r\nTo: {key}\r\nMessage-ID: <h10@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--b--\r\n").into_bytes()),
        ("bounce", plain(&ok_headers("Return-Path: <>", "h11"), "undeliverable")),
        ("bounce", plain(&format!("From: MAILER-DAEMON@mx.example\r\nTo: {key}\r\nMessage-ID: <h12@x>"), "failure notice")),
        ("empty", plain(&ok_headers("", "h13"), "\r\nOn Wed, Dec 2, 2026 at 9:58 AM Kotae wrote:\r\n> only the quote\r\n")),
        ("empty", plain(&ok_headers("", "h14"), "")),
        ("no_reply_address", plain(&format!("From: {ana}\r\nTo: support@kotae.test\r\nMessage-ID: <h15@x>"), "hello")),
        ("no_reply_address", plain(&format!("From: {ana}\r\nTo: {}\r\nMessage-ID: <h16@x>", key.replace("kotae.test", "evil.example")), "hello")),
        ("unreadable", vec![0xff, 0xfe, 0x00, 0x01, b'\n', 0x80, 0x81]),
        ("no_sender", plain(&format!("To: {key}\r\nMessage-ID: <h18@x>"), "who am I")),
        ("refused", plain(&ok_headers("", "h19"), &long)),
        ("unknown_key", plain(&format!("From: {ana}\r\nTo: reply+{}@kotae.test\r\nMessage-ID: <h20@x>", "a".repeat(80)), "hello")),
    ];
    assert_eq!(cases.len(), 20);
    let before = replies(&app, co.topic).len();
    for (i, (reason, raw)) in cases.iter().enumerate() {
        let (status, outcome) = relay(&app, raw);
        assert_eq!(status, 202, "case {i}");
        assert_eq!(
            outcome,
            json!({ "outcome": "dropped", "reason": reason }),
            "case {i}: {}",
            String::from_utf8_lossy(raw)
        );
    }
    // too large for the relay endpoint, and for `kotae mail-in`
    let huge = plain(&ok_headers("", "h21"), &"x".repeat(4 * 1024 * 1024 + 10));
    let (status, _) = relay(&app, &huge);
    assert_eq!(status, 413);
    let (code, printed) = app.mail_in(&huge);
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("too_large"), "{printed}");
    assert_eq!(replies(&app, co.topic).len(), before, "nothing was posted");

    // markup in a mail is text, never markup on the page
    let html = format!(
        "From: {ana}\r\nTo: {key}\r\nMessage-ID: <h22@x>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
<p>Still broken<script>alert(1)</script><img src=x onerror=alert(2)></p>\r\n"
    );
    assert_eq!(relay(&app, html.as_bytes()).1["outcome"], "posted");
    let page = app
        .client()
        .get(&format!("/brands/acme/topics/{}", co.topic))
        .body;
    assert!(page.contains("Still broken"), "posted");
    assert!(
        common::html_safety::dangers(&page).is_empty(),
        "{:?}",
        common::html_safety::dangers(&page)
    );
}
