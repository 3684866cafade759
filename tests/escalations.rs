//! Escalations end to end: staff and authors raise them, rules open them by themselves,
//! mail reaches the right staff fast and exactly once (through SMTP outages, SIGKILL, and
//! two nodes on one database), acknowledge links work once, and level 2 follows.

mod common;

use std::time::{Duration, Instant};

use common::staff::{Company, company, post_topic, signed_in};
use common::{Options, SmtpSink, TestApp};
use serde_json::{Value, json};

fn with_checker_every_second() -> Options {
    Options {
        env: vec![("KOTAE_ESCALATION_CHECK_SECONDS".into(), "1".into())],
        ..Options::default()
    }
}

fn set_rules(app: &TestApp, co: &Company, rules: Value) {
    let (status, body) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/escalation-rules",
        rules,
    );
    assert_eq!(status, 200, "{body}");
}

fn escalations(app: &TestApp, co: &Company, state: &str) -> Vec<Value> {
    let path = format!("/api/v1/brands/acme/escalations?state={state}");
    let (status, body) = app.as_member(&co.staff, "GET", &path, Value::Null);
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().expect("items").clone()
}

/// Waits until `to` has `count` escalation mails.
fn wait_escalations(
    app: &TestApp,
    to: &str,
    count: usize,
    within: Duration,
) -> Vec<common::ReceivedMail> {
    let deadline = Instant::now() + within;
    loop {
        let found = escalation_mail(app, to);
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{to} got {} escalation mails, not {count}",
            found.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn escalation_mail(app: &TestApp, to: &str) -> Vec<common::ReceivedMail> {
    app.smtp
        .messages_to(to)
        .into_iter()
        .filter(|m| m.subject().contains("Escalated"))
        .collect()
}

#[test]
fn staff_escalate_and_the_recipients_and_assignee_hear_at_once_with_a_one_click_acknowledge() {
    let app = TestApp::start();
    let co = company(&app);
    set_rules(&app, &co, json!({ "recipients": [co.staff.id] }));
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.admin.id }),
    );
    assert_eq!(status, 200);
    let (status, body) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/escalations", co.topic),
        json!({ "reason": "Customer threatens to cancel", "level": 3 }),
    );
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (422, &json!("level"))
    );
    let (status, opened) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/escalations", co.topic),
        json!({ "reason": "Customer threatens to cancel" }),
    );
    assert_eq!(status, 201, "{opened}");
    assert_eq!(
        (&opened["state"], &opened["level"]),
        (&json!("open"), &json!(1))
    );

    let to_staff = wait_escalations(&app, &co.staff.email, 1, Duration::from_secs(5));
    let to_assignee = wait_escalations(&app, &co.admin.email, 1, Duration::from_secs(5));
    let mail = &to_staff[0];
    let subject = mail.subject();
    for part in [
        "Acme",
        "Question",
        "The printer stopped printing",
        "Customer threatens to cancel",
    ] {
        assert!(subject.contains(part), "{part} missing from {subject}");
    }
    let text = mail.text_body();
    assert!(
        text.contains(&format!("/brands/acme/topics/{}", co.topic)),
        "{text}"
    );
    assert!(text.contains("Escalated by: sam"), "{text}");
    assert_eq!(to_assignee.len(), 1);
    assert!(
        escalation_mail(&app, &co.asker.email).is_empty(),
        "customers are not told"
    );

    let (_, queue) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/queue?view=escalated",
        Value::Null,
    );
    assert_eq!(queue["items"][0]["id"], co.topic);
    let (_, events) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}/events", co.topic),
        Value::Null,
    );
    assert!(
        events["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["kind"] != "escalated")
    );

    // the link opens a page; only its button acknowledges, and only once
    let token = common::token_from(&text, "/escalations/acknowledge?token=");
    let page = app
        .client()
        .get(&format!("/escalations/acknowledge?token={token}"));
    assert_eq!(page.status, 200);
    assert_eq!(
        escalations(&app, &co, "open").len(),
        1,
        "opening the link changed nothing"
    );
    let (status, acked) = app.client().post_json(
        "/api/v1/escalations/acknowledge",
        &json!({ "token": token }),
    );
    assert_eq!(status, 200, "{acked}");
    assert_eq!(
        (&acked["state"], &acked["acknowledged_by"]),
        (&json!("acknowledged"), &json!(co.staff.id))
    );
    let (status, _) = app.client().post_json(
        "/api/v1/escalations/acknowledge",
        &json!({ "token": token }),
    );
    assert_eq!(status, 422);
    let listed = escalations(&app, &co, "acknowledged");
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["minutes_to_acknowledge"].is_number());

    // a final status resolves it, and the queue's escalated view empties
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/status", co.topic),
        json!({ "status": "answered" }),
    );
    assert_eq!(status, 200);
    assert_eq!(escalations(&app, &co, "resolved").len(), 1);
    let (_, queue) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/queue?view=escalated",
        Value::Null,
    );
    assert_eq!(queue["items"], json!([]));
    let page = signed_in(&app, "sam").get("/brands/acme/escalations?state=resolved");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Customer threatens to cancel"));
}

#[test]
fn authors_ask_a_claimed_brand_for_help_once_a_day() {
    let app = TestApp::start();
    let co = company(&app);
    let path = format!("/api/v1/topics/{}/request-help", co.topic);
    let (status, body) = app.as_member(
        &co.asker,
        "POST",
        &path,
        json!({ "reason": "Still broken after a week" }),
    );
    assert_eq!((status, &body["source"]), (201, &json!("author")), "{body}");
    let mail = wait_escalations(&app, &co.admin.email, 1, Duration::from_secs(5));
    assert!(
        mail[0].subject().contains("Still broken after a week"),
        "no recipients chosen: the admins hear"
    );
    let answer = app.client().send_raw(
        "POST",
        &path,
        "application/json",
        json!({ "reason": "Again" }).to_string().into_bytes(),
        &[("authorization", &format!("Bearer {}", co.asker.token))],
    );
    assert_eq!(answer.status, 429);
    assert!(answer.header("retry-after").is_some());
    let (status, _) = app.as_member(&co.member, "POST", &path, json!({ "reason": "Me as well" }));
    assert_eq!(status, 403, "only the topic's author asks");
    common::staff::create_brand(&app, &co.member, "Unclaimed", "unclaimed", None);
    let topic = post_topic(
        &app,
        &co.member,
        "unclaimed",
        "problem",
        "Nobody official here",
    );
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{topic}/request-help"),
        json!({ "reason": "Anyone?" }),
    );
    assert_eq!(status, 409, "a community without staff has nobody to ask");
}

#[test]
fn rules_escalate_within_threshold_plus_interval_once_and_level_two_follows() {
    let app = TestApp::start_with(with_checker_every_second());
    let co = company(&app);
    set_rules(
        &app,
        &co,
        json!({ "unanswered_minutes": 1, "me_too_threshold": 1, "acknowledge_minutes": 1,
                "recipients": [co.staff.id] }),
    );
    let started = Instant::now();
    let quiet = post_topic(
        &app,
        &co.asker,
        "acme",
        "problem",
        "Nobody answers my question",
    );
    let popular = post_topic(&app, &co.asker, "acme", "idea", "Dark mode for the app");
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{popular}/me-too"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{popular}/replies"),
        json!({ "body": "Yes please" }),
    );
    assert_eq!(
        status, 201,
        "a reply keeps the idea out of the unanswered rule"
    );

    // the me-too rule fires on the next check
    let deadline = Instant::now() + Duration::from_secs(10);
    while escalation_mail(&app, &co.staff.email).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the me-too rule did not escalate"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let first = escalation_mail(&app, &co.staff.email);
    assert!(
        first[0].subject().contains("Dark mode"),
        "{}",
        first[0].subject()
    );

    // the unanswered rule: not before a minute, and within a minute plus the interval
    let deadline = started + Duration::from_secs(60 + 1 + 5);
    loop {
        let mail = escalation_mail(&app, &co.staff.email);
        if let Some(m) = mail.iter().find(|m| m.subject().contains("Nobody answers")) {
            assert!(
                started.elapsed() >= Duration::from_secs(59),
                "escalated early: {:?}",
                started.elapsed()
            );
            assert!(
                m.text_body().contains("the unanswered rule"),
                "{}",
                m.text_body()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the unanswered rule did not escalate in time"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // nobody acknowledged the me-too escalation within a minute: level 2 reaches the admins
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let to_admin = escalation_mail(&app, &co.admin.email);
        if to_admin
            .iter()
            .any(|m| m.text_body().contains("Nobody acknowledged this in time"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "level 2 did not follow");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    let open = escalations(&app, &co, "open");
    let per_topic = |id: i64| open.iter().filter(|e| e["topic_id"] == id).count();
    assert_eq!(
        (per_topic(quiet), per_topic(popular)),
        (1, 1),
        "one escalation per topic and rule: {open:#?}"
    );
    let level2: Vec<_> = open.iter().filter(|e| e["level"] == 2).collect();
    assert_eq!(level2.len(), 1, "{open:#?}");
    assert_eq!(level2[0]["topic_id"], popular);
    let staff_mail = escalation_mail(&app, &co.staff.email);
    assert_eq!(
        staff_mail.len(),
        3,
        "level 1 twice and level 2 once, each mailed once"
    );
}

#[test]
fn escalation_mail_survives_an_smtp_outage_and_sigkill_and_arrives_exactly_once() {
    let mut app = TestApp::start();
    let co = company(&app);
    set_rules(&app, &co, json!({ "recipients": [co.staff.id] }));
    let port = app.smtp.port();
    app.smtp.stop();
    let mut topics = vec![];
    for i in 0..3 {
        let id = post_topic(
            &app,
            &co.asker,
            "acme",
            "problem",
            &format!("Outage topic {i}"),
        );
        let (status, body) = app.as_member(
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{id}/escalations"),
            json!({ "reason": format!("Outage reason {i}"), "level": 2 }),
        );
        assert_eq!(status, 201, "{body}");
        topics.push(id);
    }
    std::thread::sleep(Duration::from_secs(2)); // attempts fail and wait for their retry
    app.kill();
    app.restart();
    let back = SmtpSink::start_on(port);
    for who in [&co.staff, &co.admin] {
        let mail = back.wait_for(&who.email, 3, Duration::from_secs(30));
        assert!(mail.iter().all(|m| m.subject().contains("Outage reason")));
    }
    std::thread::sleep(Duration::from_secs(3));
    for who in [&co.staff, &co.admin] {
        let mut subjects: Vec<String> = back
            .messages_to(&who.email)
            .iter()
            .map(|m| m.subject())
            .collect();
        subjects.sort();
        subjects.dedup();
        assert_eq!(
            back.messages_to(&who.email).len(),
            3,
            "exactly once each for {}",
            who.username
        );
        assert_eq!(subjects.len(), 3);
    }
}

#[test]
fn two_nodes_on_one_postgresql_open_and_mail_each_escalation_once() {
    if std::env::var("KOTAE_TEST_DATABASE_URL").is_err() {
        eprintln!(
            "two nodes share a PostgreSQL database; this runs when KOTAE_TEST_DATABASE_URL is set (as in CI)"
        );
        return;
    }
    let app = TestApp::start_with(with_checker_every_second());
    let second = app.another_node();
    let co = company(&app);
    set_rules(
        &app,
        &co,
        json!({ "me_too_threshold": 1, "recipients": [co.staff.id] }),
    );
    let second_client = common::Client::new(&second.base);
    let mut topics = vec![];
    for i in 0..10 {
        let id = post_topic(&app, &co.asker, "acme", "idea", &format!("Idea number {i}"));
        // half the me-toos arrive through each node
        let client = if i % 2 == 0 {
            app.client()
        } else {
            common::Client::new(&second.base)
        };
        let (status, _) = client.send_json(
            "POST",
            &format!("/api/v1/topics/{id}/me-too"),
            &Value::Null,
            &[("authorization", &format!("Bearer {}", co.member.token))],
        );
        assert_eq!(status, 200);
        topics.push(id);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while escalation_mail(&app, &co.staff.email).len() < 10 {
        assert!(Instant::now() < deadline, "not every escalation was mailed");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        escalation_mail(&app, &co.staff.email).len(),
        10,
        "each escalation mailed once"
    );
    let open = escalations(&app, &co, "open");
    for id in topics {
        assert_eq!(
            open.iter().filter(|e| e["topic_id"] == id).count(),
            1,
            "topic {id}: {open:#?}"
        );
    }
    assert_eq!(
        second_client.get("/healthz").status,
        200,
        "both nodes served"
    );
}

/// The site admin's mail queue row in `state` addressed to `to`, if any.
fn mail_row(app: &TestApp, co: &Company, state: &str, to: &str) -> Option<Value> {
    let (status, rows) = app.as_member(
        &co.site_admin,
        "GET",
        &format!("/api/v1/admin/mail?state={state}"),
        Value::Null,
    );
    assert_eq!(status, 200);
    rows["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["to_address"] == to)
        .cloned()
}

#[test]
fn mail_to_someone_who_left_the_staff_is_not_sent_and_admins_see_the_queue() {
    let app = TestApp::start();
    let co = company(&app);
    let port = app.smtp.port();
    app.smtp.stop();
    set_rules(&app, &co, json!({ "recipients": [co.staff.id] }));
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/escalations", co.topic),
        json!({ "reason": "Needs the lead" }),
    );
    assert_eq!(status, 201);
    // the mail was checked and tried while SMTP was down; otherwise its first try could
    // come after the removal was checked for and SMTP was back, which the test is not about
    let deadline = Instant::now() + Duration::from_secs(20);
    while mail_row(&app, &co, "retrying", &co.staff.email).is_none() {
        assert!(Instant::now() < deadline, "the mail was never tried");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _) = app.as_member(
        &co.admin,
        "DELETE",
        &format!("/api/v1/brands/acme/staff/{}", co.staff.id),
        Value::Null,
    );
    assert_eq!(status, 204);
    let back = SmtpSink::start_on(port);
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        back.messages_to(&co.staff.email)
            .iter()
            .all(|m| !m.subject().contains("Escalated")),
        "a former staff member got escalation mail"
    );
    let row = mail_row(&app, &co, "skipped", &co.staff.email).expect("the skipped mail is listed");
    assert!(
        row["last_error"]
            .as_str()
            .expect("why")
            .contains("no longer works")
    );
    let (status, _) = app.as_member(&co.staff, "GET", "/api/v1/admin/mail", Value::Null);
    assert_eq!(status, 403);
    let page = signed_in(&app, "root").get("/admin/mail?state=skipped");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Needs the lead"));
}

#[test]
fn staff_choose_hourly_digests_or_silence_except_for_level_two() {
    let app = TestApp::start();
    let co = company(&app);
    let (status, body) = app.as_member(
        &co.staff,
        "PUT",
        "/api/v1/me/notifications",
        json!({ "escalation": "off", "assigned": "hourly" }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "escalation": "off", "assigned": "hourly", "mention": "immediately" })
    );
    let (status, _) = app.as_member(
        &co.staff,
        "PUT",
        "/api/v1/me/notifications",
        json!({ "escalation": "never" }),
    );
    assert_eq!(status, 422);
    set_rules(&app, &co, json!({ "recipients": [co.staff.id] }));
    for (level, reason) in [(1, "Level one matter"), (2, "Level two matter")] {
        let (status, _) = app.as_member(
            &co.admin,
            "POST",
            &format!("/api/v1/topics/{}/escalations", co.topic),
            json!({ "reason": reason, "level": level }),
        );
        assert_eq!(status, 201);
    }
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.staff.id }),
    );
    assert_eq!(status, 200);
    let mail = wait_escalations(&app, &co.admin.email, 1, Duration::from_secs(10));
    assert!(mail[0].subject().contains("Level two matter"));
    std::thread::sleep(Duration::from_secs(2));
    let to_staff: Vec<String> = app
        .smtp
        .messages_to(&co.staff.email)
        .iter()
        .map(|m| m.subject())
        .collect();
    assert!(
        to_staff.iter().any(|s| s.contains("Level two matter")),
        "level 2 cannot be turned off: {to_staff:?}"
    );
    assert!(
        !to_staff.iter().any(|s| s.contains("Level one matter")),
        "escalations are off: {to_staff:?}"
    );
    assert!(
        !to_staff.iter().any(|s| s.contains("Assigned to you")),
        "assignments wait for the digest"
    );
    let mut c = app.db();
    let waiting =
        kotae::model::notification::take_digest(&mut c, kotae::model::UserId(co.staff.id))
            .expect("digest");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].kind, "assigned");
}

#[test]
fn a_hung_smtp_server_times_out_and_never_holds_up_a_request() {
    // a server that accepts connections and never says a word
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hung.local_addr().expect("addr").port();
    let app = TestApp::start_with(Options {
        env: vec![("KOTAE_SMTP_URL".into(), format!("smtp://127.0.0.1:{port}"))],
        smtp: false,
        ..Options::default()
    });
    // members are made straight in the database: no verification mail can arrive
    let admin = make_member(&app, "boss");
    let root = make_member(&app, "root");
    common::staff::make_site_admin(&app, &root);
    common::staff::create_brand(&app, &admin, "Acme", "acme", None);
    let mut c = app.db();
    let brand = kotae::model::brand::find_by_slug(&mut c, "acme").expect("brand");
    kotae::model::member::upsert(
        &mut c,
        brand.id,
        kotae::model::UserId(admin.id),
        kotae::model::member::Role::Admin,
        "",
        kotae::model::now(),
    )
    .expect("admin");
    kotae::model::claim::set_brand_claimed(&mut c, brand.id, Some(kotae::model::now()))
        .expect("claimed");
    for i in 0..10 {
        let id = post_topic(&app, &admin, "acme", "problem", &format!("Hung topic {i}"));
        let asked = Instant::now();
        let (status, _) = app.as_member(
            &admin,
            "POST",
            &format!("/api/v1/topics/{id}/escalations"),
            json!({ "reason": "SMTP is hung" }),
        );
        assert_eq!(status, 201);
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "a request waited for SMTP"
        );
    }
    assert_eq!(app.client().get("/healthz").status, 200);
    // lettre gives up on the silent server after its 30 s timeout; the mail waits to retry
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, retrying) = app.as_member(
            &root,
            "GET",
            "/api/v1/admin/mail?state=retrying",
            Value::Null,
        );
        let rows = retrying["items"].as_array().cloned().unwrap_or_default();
        if let Some(row) = rows.first() {
            assert!(row["last_error"].is_string(), "{row}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the hung SMTP exchange never timed out"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(hung);
}

/// A verified member with a token, made without mail.
fn make_member(app: &TestApp, username: &str) -> common::Member {
    let mut c = app.db();
    let at = kotae::model::now();
    let email = format!("{username}@example.com");
    let hash = kotae::password::hash_now(common::PASSWORD).expect("hash");
    let row = kotae::model::user::NewUser {
        username,
        email: &email,
        email_key: &email,
        email_verified: true,
        display_name: username,
        password_hash: &hash,
        language: "en",
        site_admin: false,
        created_at: at,
        updated_at: at,
    };
    let user = kotae::model::user::insert(&mut c, &row).expect("insert user");
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": username, "password": common::PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    common::Member {
        id: user.id.0,
        username: username.to_string(),
        email,
        token: body["token"].as_str().expect("token").to_string(),
    }
}
