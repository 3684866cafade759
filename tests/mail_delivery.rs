//! The outbox and the sender: real SMTP, outages, kills, permanent failures, .eml files.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Mode, Options, PASSWORD, SmtpSink, TestApp};
use serde_json::json;

fn sign_up(app: &TestApp, username: &str) {
    let (status, body) = app.client().post_json(
        "/api/v1/accounts",
        &json!({
            "username": username, "email": format!("{username}@example.com"), "password": PASSWORD,
        }),
    );
    assert_eq!(status, 201, "{body}");
}

fn outbox_to(app: &TestApp, address: &str) -> Vec<kotae::model::outbox::OutboxEmail> {
    kotae::model::outbox::to_address(&mut app.db(), address).expect("outbox rows")
}

#[test]
fn mail_waits_while_smtp_is_down_and_goes_out_once_when_it_is_back() {
    let app = TestApp::start();
    let port = app.smtp.port();
    app.smtp.stop();
    sign_up(&app, "aiko");
    std::thread::sleep(Duration::from_secs(2));
    let rows = outbox_to(&app, "aiko@example.com");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "pending");
    assert!(rows[0].attempts >= 1, "delivery was tried");
    assert!(rows[0].last_error.is_some());

    let back = SmtpSink::start_on(port);
    let mail = back.wait_for("aiko@example.com", 1, Duration::from_secs(30));
    assert_eq!(
        mail[0].header("message-id").as_deref(),
        Some(rows[0].message_id.as_str())
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        back.messages_to("aiko@example.com").len(),
        1,
        "delivered once"
    );
    assert_eq!(outbox_to(&app, "aiko@example.com")[0].status, "sent");
}

#[test]
fn a_killed_server_keeps_acknowledged_accounts_and_sends_queued_mail_after_restart() {
    let mut app = TestApp::start();
    let port = app.smtp.port();
    app.smtp.stop();
    sign_up(&app, "daichi");
    // kill once the failed attempt is recorded: a kill in the middle of an attempt leaves
    // the row leased, and on PostgreSQL a lease is only taken back when it lapses
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while outbox_to(&app, "daichi@example.com")
        .first()
        .is_none_or(|row| row.attempts == 0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery attempt was recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    app.kill();

    let back = SmtpSink::start_on(port);
    app.restart();
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "daichi", "password": PASSWORD }),
    );
    assert_eq!(
        status, 201,
        "the acknowledged account survived SIGKILL: {body}"
    );
    back.wait_for("daichi@example.com", 1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(back.messages_to("daichi@example.com").len(), 1);
}

#[test]
fn transient_failures_retry_and_permanent_ones_are_marked_failed() {
    let app = TestApp::start();
    app.smtp.set_mode(Mode::TempFail);
    sign_up(&app, "emi");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(outbox_to(&app, "emi@example.com")[0].status, "pending");
    app.smtp.set_mode(Mode::Accept);
    app.smtp
        .wait_for("emi@example.com", 1, Duration::from_secs(30));

    app.smtp.set_mode(Mode::PermFail);
    sign_up(&app, "fumi");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rows = outbox_to(&app, "fumi@example.com");
        if rows[0].status == "failed" {
            assert!(
                rows[0].last_error.as_deref().unwrap_or("").contains("550"),
                "{:?}",
                rows[0].last_error
            );
            assert_eq!(rows[0].attempts, 1, "a permanent failure is not retried");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never marked failed: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn mail_is_text_and_html_with_stable_headers_and_no_injected_ones() {
    let app = TestApp::start();
    sign_up(&app, "gen");
    let mail = app
        .smtp
        .wait_for("gen@example.com", 1, Duration::from_secs(20));
    let message = &mail[0];
    assert_eq!(message.mail_from, "kotae@kotae.test");
    assert!(message.header("date").is_some());
    assert!(
        message
            .header("message-id")
            .expect("message-id")
            .ends_with("@kotae.test>")
    );
    assert!(
        message
            .header("content-type")
            .expect("content-type")
            .starts_with("multipart/alternative")
    );
    assert!(message.text_body().contains("gen"));
    assert!(
        message
            .html_body()
            .expect("html")
            .contains("<a href=\"http://127.0.0.1")
    );
}

#[test]
fn smtp_with_authentication_delivers() {
    let sink = SmtpSink::start();
    sink.require_auth("mailer", "s3cret pass");
    let options = Options {
        smtp: false,
        env: vec![(
            "KOTAE_SMTP_URL".into(),
            format!("smtp://mailer:s3cret%20pass@127.0.0.1:{}", sink.port()),
        )],
        ..Options::default()
    };
    let app = TestApp::start_with(options);
    sign_up(&app, "hiro");
    let mail = sink.wait_for("hiro@example.com", 1, Duration::from_secs(20));
    assert_eq!(
        mail[0].auth,
        Some(("mailer".to_string(), "s3cret pass".to_string()))
    );
}

#[test]
fn without_smtp_mail_is_written_as_eml_files() {
    let app = TestApp::start_with(Options {
        smtp: false,
        ..Options::default()
    });
    sign_up(&app, "ichiro");
    let dir = app.data_dir.path().join("mail");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let file = loop {
        let found = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|x| x == "eml"))
            })
            .ok()
            .flatten();
        if let Some(path) = found {
            break path;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(file).expect("eml");
    assert!(text.contains("To: ichiro@example.com"));
    assert!(text.contains("Message-ID: <"));
}

#[test]
fn spamassassin_does_not_flag_our_mail() {
    let available = Command::new("spamassassin")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(available, "spamassassin", "apt-get install spamassassin") {
        return;
    }
    let app = TestApp::start_with(Options {
        env: vec![
            (
                "KOTAE_MAIL_FROM".into(),
                "Kotae Community <community@kotae.example.org>".into(),
            ),
            (
                "KOTAE_BASE_URL".into(),
                "https://community.kotae.example.org".into(),
            ),
            ("KOTAE_ESCALATION_CHECK_SECONDS".into(), "1".into()),
        ],
        ..Options::default()
    });
    sign_up(&app, "sato");
    let client = app.client();
    let body = json!({ "email": "tanaka@example.com" })
        .to_string()
        .into_bytes();
    client.send_raw(
        "POST",
        "/api/v1/password-resets",
        "application/json",
        body,
        &[("accept-language", "ja")],
    );
    let mut mail = app
        .smtp
        .wait_for("sato@example.com", 1, Duration::from_secs(20));
    mail.extend(
        app.smtp
            .wait_for("tanaka@example.com", 1, Duration::from_secs(20)),
    );
    assert!(
        mail[1].subject().contains("パスワード"),
        "{}",
        mail[1].subject()
    );
    // the staff workflow's mail: the claim link, an escalation, a status change
    let co = common::staff::company(&app);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/escalations", co.topic),
        json!({ "reason": "Customer waiting since Monday" }),
    );
    assert_eq!(status, 201);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/status", co.topic),
        json!({ "status": "answered", "note": "The manual covers it on page 4." }),
    );
    assert_eq!(status, 200);
    mail.extend(
        app.smtp
            .wait_for("boss@acme.test", 1, Duration::from_secs(20)),
    );
    let escalated = app
        .smtp
        .wait_for(&co.admin.email, 2, Duration::from_secs(20));
    mail.extend(
        escalated
            .into_iter()
            .filter(|m| m.subject().contains("Escalated")),
    );
    let told = app
        .smtp
        .wait_for(&co.asker.email, 2, Duration::from_secs(20));
    mail.extend(told.into_iter().filter(|m| m.subject().contains("Update")));
    mail.extend(answering_mail(&app, &co));
    assert_eq!(mail.len(), 7, "every kind of mail is judged");
    for message in mail {
        let mut child = Command::new("spamassassin")
            .args(["-t", "-L"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run spamassassin");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(message.data.as_bytes())
            .expect("feed message");
        let report =
            String::from_utf8_lossy(&child.wait_with_output().expect("report").stdout).into_owned();
        let score: f64 = report
            .lines()
            .find_map(|l| {
                l.strip_prefix("X-Spam-Status: ")
                    .and_then(|v| v.split("score=").nth(1))
            })
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no score in the report:\n{report}"));
        assert!(
            score < 2.0,
            "SpamAssassin scored {}: {score}\n{report}",
            message.subject()
        );
    }
}

/// The mail of being seen to answer: a status mail that asks "did this fix it for you?", and
/// an incident's end (a spike threshold of one me-too opens the incident at once).
fn answering_mail(app: &TestApp, co: &common::staff::Company) -> Vec<common::ReceivedMail> {
    let rules = json!({ "spike_me_toos": 1, "spike_minutes": 30 });
    let path = "/api/v1/brands/acme/escalation-rules";
    assert_eq!(app.as_member(&co.admin, "PUT", path, rules).0, 200);
    let problem =
        common::staff::post_topic(app, &co.asker, "acme", "problem", "Scanner shows error E5");
    let me_too = format!("/api/v1/topics/{problem}/me-too");
    assert_eq!(
        app.as_member(&co.member, "POST", &me_too, json!(null)).0,
        200
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, open) = app.as_member(
            &co.staff,
            "GET",
            "/api/v1/brands/acme/escalations?state=open",
            json!(null),
        );
        if open.to_string().contains("\"spike\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no incident opened");
        std::thread::sleep(Duration::from_millis(100));
    }
    let solved = json!({ "status": "solved", "note": "Firmware 5.2 fixes it." });
    let status = format!("/api/v1/topics/{problem}/status");
    assert_eq!(app.as_member(&co.staff, "POST", &status, solved).0, 200);
    let first = |to: &str, wanted: &dyn Fn(&common::ReceivedMail) -> bool| {
        app.smtp.wait_for_one(to, Duration::from_secs(20), wanted)
    };
    let asked = first(&co.asker.email, &|m| {
        m.text_body().contains("/fixed?token=")
    });
    let resolved = first(&co.member.email, &|m| m.subject().starts_with("Resolved:"));
    vec![asked, resolved]
}
