//! Being seen to answer, end to end: incidents (a spike of me-toos over near-duplicates opens
//! one escalation, and its end reaches each person once), "did this fix it for you?" (a no
//! reopens and escalates again, from the page and from the mail), supervised replies (unseen
//! by customers until approved), public response times (insights' own figures), the triage
//! priority of the staff queue, and answers to re-verify.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::staff::{Company, company, post_topic, signed_in};
use common::{Member, Options, TestApp};
use serde_json::{Value, json};

fn with_checker_every_second() -> Options {
    Options {
        env: vec![("KOTAE_ESCALATION_CHECK_SECONDS".into(), "1".into())],
        ..Options::default()
    }
}

fn api(app: &TestApp, who: &Member, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.as_member(who, method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

fn topic_with_body(app: &TestApp, who: &Member, kind: &str, title: &str, body: &str) -> i64 {
    let created = api(
        app,
        who,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": kind, "title": title, "body": body }),
    );
    created["id"].as_i64().expect("topic id")
}

/// Waits until a search for `q` finds `count` topics: the index has caught up.
fn wait_indexed(app: &TestApp, q: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = app
            .client()
            .get(&format!("/api/v1/search?q={q}&brand=acme"))
            .json();
        if found["items"].as_array().map_or(0, Vec::len) >= count {
            return;
        }
        assert!(Instant::now() < deadline, "{q} never indexed: {found}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn open_escalations(app: &TestApp, co: &Company) -> Vec<Value> {
    let (status, body) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/escalations?state=open",
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn spikes(app: &TestApp, co: &Company) -> Vec<Value> {
    open_escalations(app, co)
        .into_iter()
        .filter(|e| e["rule"] == "spike")
        .collect()
}

fn me_too(app: &TestApp, who: &Member, topic: i64) {
    api(
        app,
        who,
        "POST",
        &format!("/api/v1/topics/{topic}/me-too"),
        Value::Null,
    );
}

#[test]
fn me_toos_over_a_topic_and_two_near_duplicates_open_one_incident_whose_end_reaches_each_person_once()
 {
    let app = TestApp::start_with(with_checker_every_second());
    let co = company(&app);
    api(
        &app,
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/escalation-rules",
        json!({ "spike_me_toos": 6, "spike_minutes": 30 }),
    );
    let crash = "The app crashes when I sign in.";
    let a = topic_with_body(&app, &co.asker, "problem", "App crashes on login", crash);
    let b = topic_with_body(&app, &co.member, "problem", "Login crashes the app", crash);
    let c = topic_with_body(
        &app,
        &co.site_admin,
        "problem",
        "App crash at login screen",
        crash,
    );
    let other = topic_with_body(
        &app,
        &co.asker,
        "problem",
        "Invoice PDF prints blank pages",
        "Every invoice comes out empty.",
    );
    wait_indexed(&app, "crash", 3);
    wait_indexed(&app, "invoice", 1);
    let people: Vec<Member> = ["pia", "quin", "rae", "sol"]
        .iter()
        .map(|name| app.member(name))
        .collect();
    // six me-toos spread over the three near-duplicates, three on the unrelated topic
    me_too(&app, &people[0], a);
    me_too(&app, &people[1], a);
    me_too(&app, &people[2], b);
    me_too(&app, &people[3], b);
    me_too(&app, &co.asker, c);
    me_too(&app, &people[0], c);
    for who in &people[1..] {
        me_too(&app, who, other);
    }

    let deadline = Instant::now() + Duration::from_secs(15);
    while spikes(&app, &co).is_empty() {
        assert!(Instant::now() < deadline, "no spike escalation opened");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3)); // three more passes of the checker
    let opened = spikes(&app, &co);
    assert_eq!(opened.len(), 1, "exactly one incident: {opened:?}");
    let id = opened[0]["id"].as_i64().expect("id");
    let linked = api(
        &app,
        &co.staff,
        "GET",
        &format!("/api/v1/escalations/{id}/topics"),
        Value::Null,
    );
    let mut ids: Vec<i64> = linked["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![a, b, c], "the incident links the three: {linked}");
    let (status, _) = app.as_member(
        &co.member,
        "GET",
        &format!("/api/v1/escalations/{id}/topics"),
        Value::Null,
    );
    assert_eq!(status, 403, "customers do not see incidents");

    let told = mail_containing(&app, &co.admin.email, "Pin a status notice");
    assert!(told.contains("/brands/acme/escalations#notice"), "{told}");
    // staff pin a notice; the brand page shows it to everyone
    api(
        &app,
        &co.staff,
        "PUT",
        "/api/v1/brands/acme/notice",
        json!({ "body": "We know the app crashes on login since 9:00; we are on it.", "escalation_id": id }),
    );
    let page = app.client().get("/brands/acme");
    assert!(
        page.body.contains("we are on it"),
        "notice on the brand page"
    );
    let escalations_page = signed_in(&app, "sam").get("/brands/acme/escalations");
    assert!(escalations_page.body.contains("App crash at login screen"));

    api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/escalations/{id}/resolve"),
        Value::Null,
    );
    // authors and me-too'ers of the three topics; not those of the unrelated one alone
    let affected = [
        &co.asker,
        &co.member,
        &co.site_admin,
        &people[0],
        &people[1],
        &people[2],
        &people[3],
    ];
    for who in affected {
        app.smtp.wait_for(&who.email, 1, Duration::from_secs(15));
    }
    std::thread::sleep(Duration::from_secs(3));
    let resolved: HashMap<String, usize> = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.subject().starts_with("Resolved:"))
        .fold(HashMap::new(), |mut seen, m| {
            *seen.entry(m.rcpt_to.join(",")).or_default() += 1;
            seen
        });
    for who in affected {
        assert_eq!(
            resolved.get(&who.email),
            Some(&1),
            "{} hears once: {resolved:?}",
            who.email
        );
    }
    assert_eq!(resolved.len(), affected.len(), "nobody else: {resolved:?}");
    assert!(
        !app.client()
            .get("/brands/acme")
            .body
            .contains("we are on it"),
        "the incident's notice comes down with it"
    );
}

/// The text of the first mail to `to` that contains `needle`, waiting for it.
fn mail_containing(app: &TestApp, to: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = app
            .smtp
            .messages_to(to)
            .iter()
            .map(common::ReceivedMail::text_body)
            .find(|t| t.contains(needle));
        if let Some(text) = found {
            return text;
        }
        assert!(Instant::now() < deadline, "no mail to {to} with {needle}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn set_status(app: &TestApp, co: &Company, topic: i64, status: &str) {
    api(
        app,
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{topic}/status"),
        json!({ "status": status }),
    );
}

fn status_of(app: &TestApp, topic: i64) -> String {
    let found = app.client().get(&format!("/api/v1/topics/{topic}")).json();
    found["status"].as_str().expect("status").to_string()
}

/// The ids of the topic's open escalations that a "not fixed" opened.
fn not_fixed_escalations(app: &TestApp, co: &Company, topic: i64) -> Vec<i64> {
    open_escalations(app, co)
        .iter()
        .filter(|e| e["source"] == "not_fixed" && e["topic_id"] == topic)
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

#[test]
fn a_no_from_the_mail_or_the_page_reopens_and_escalates_and_yes_counts_in_insights() {
    let app = TestApp::start();
    let co = company(&app);
    let topic = post_topic(
        &app,
        &co.asker,
        "acme",
        "problem",
        "Scanner jams on page two",
    );
    me_too(&app, &co.member, topic);
    set_status(&app, &co, topic, "solved");

    // the me-too'er's mail asks, with one-click answers; "no" from it reopens
    let text = mail_containing(&app, &co.member.email, "/fixed?token=");
    let start = text.find("/fixed?token=").expect("link") + "/fixed?token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '&')
        .collect();
    let confirm = app.client().get(&format!("/fixed?token={token}&answer=no"));
    assert_eq!(
        confirm.status, 200,
        "the link opens a page, which changes nothing"
    );
    assert_eq!(status_of(&app, topic), "solved");
    let forged = app.client().post_form(
        "/fixed",
        "",
        &[("token", &format!("{token}x")), ("answer", "no")],
    );
    assert_eq!(forged.status, 422, "a forged token changes nothing");
    assert_eq!(status_of(&app, topic), "solved");
    let answered = app
        .client()
        .post_form("/fixed", "", &[("token", &token), ("answer", "no")]);
    assert_eq!(answered.status, 303, "{}", answered.body);
    assert_eq!(status_of(&app, topic), "open", "a no reopens");
    let first = not_fixed_escalations(&app, &co, topic);
    assert_eq!(first.len(), 1, "and escalates");
    let page = app.client().get(&format!("/brands/acme/topics/{topic}"));
    assert!(page.body.contains("1 not fixed"), "the timeline counts it");

    // solved again: the author answers no on the page
    set_status(&app, &co, topic, "solved");
    let asker = signed_in(&app, "ana");
    let page = asker.get(&format!("/brands/acme/topics/{topic}"));
    assert!(
        page.body.contains("id=\"ask-fixed\""),
        "the page asks the author"
    );
    let stranger = signed_in(&app, "olga").get(&format!("/brands/acme/topics/{topic}"));
    assert!(
        !stranger.body.contains("id=\"ask-fixed\""),
        "and nobody else"
    );
    let answered = asker.post_form(
        &format!("/brands/acme/topics/{topic}/fixed"),
        &page.csrf_token(),
        &[("answer", "no")],
    );
    assert_eq!(answered.status, 303);
    assert_eq!(status_of(&app, topic), "open");
    let second = not_fixed_escalations(&app, &co, topic);
    assert_eq!(second.len(), 1, "escalated again");
    assert_ne!(
        first, second,
        "anew: solving it resolved the first escalation"
    );

    // a third time: yes from both; someone not asked may not answer
    set_status(&app, &co, topic, "solved");
    let fixed = json!({ "fixed": true });
    let path = format!("/api/v1/topics/{topic}/fixed");
    api(&app, &co.asker, "POST", &path, fixed.clone());
    api(&app, &co.member, "POST", &path, fixed.clone());
    let (status, _) = app.as_member(&co.other_staff, "POST", &path, fixed);
    assert_eq!(status, 403);
    assert_eq!(status_of(&app, topic), "solved", "yes keeps it solved");
    let insights = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/insights",
        Value::Null,
    );
    assert_eq!(
        insights["fixed_for_customers"],
        json!({ "yes": 2, "no": 2, "percent": 50.0 }),
        "{insights}"
    );
}

#[test]
fn a_supervised_answer_is_unseen_by_customers_until_an_admin_approves_it() {
    let app = TestApp::start();
    let co = company(&app);
    let (status, body) = app.as_member(
        &co.staff,
        "PATCH",
        &format!("/api/v1/brands/acme/staff/{}", co.staff.id),
        json!({ "needs_approval": true }),
    );
    assert_eq!(
        status, 403,
        "staff cannot lift their own supervision: {body}"
    );
    api(
        &app,
        &co.admin,
        "PATCH",
        &format!("/api/v1/brands/acme/staff/{}", co.staff.id),
        json!({ "needs_approval": true }),
    );
    let secret = "Reset the tray sensor (pending-answer-7731).";
    let replies = format!("/api/v1/topics/{}/replies", co.topic);
    let (status, pending) = app.as_member(
        &co.staff,
        "POST",
        &replies,
        json!({ "body": secret, "official_answer": true }),
    );
    assert_eq!(status, 202, "{pending}");
    let pending_id = pending["pending_id"].as_i64().expect("pending id");

    let unseen = |why: &str| {
        let topic_page = format!("/brands/acme/topics/{}", co.topic);
        let api_topic = format!("/api/v1/topics/{}", co.topic);
        let looks = [
            app.client().get(&topic_page).body,
            app.client().get(&api_topic).body,
            app.client().get("/brands/acme/feed.atom").body,
            app.client().get("/api/v1/search?q=7731").body,
            signed_in(&app, "ana").get(&topic_page).body,
            app.as_member(&co.asker, "GET", &api_topic, Value::Null)
                .1
                .to_string(),
        ];
        for (i, body) in looks.iter().enumerate() {
            assert!(!body.contains("7731"), "{why}: look {i} shows it");
        }
    };
    unseen("while pending");
    std::thread::sleep(Duration::from_millis(1500)); // the indexer has had its chance
    unseen("a moment later");

    let decide = |who: &Member, action: &str, body: Value| {
        app.as_member(
            who,
            "POST",
            &format!("/api/v1/pending-replies/{pending_id}/{action}"),
            body,
        )
        .0
    };
    assert_eq!(
        decide(&co.staff, "approve", json!({})),
        403,
        "not their own"
    );
    assert_eq!(decide(&co.member, "approve", json!({})), 403);
    assert_eq!(decide(&co.other_staff, "approve", json!({})), 403);
    let waiting = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/approvals",
        Value::Null,
    );
    assert_eq!(waiting["items"][0]["body"], secret);
    let (status, customers) = app.as_member(
        &co.asker,
        "GET",
        "/api/v1/brands/acme/approvals",
        Value::Null,
    );
    assert_eq!(status, 403, "{customers}");

    let edited = "Reset the tray sensor, then restart (approved-answer-7731).";
    assert_eq!(decide(&co.admin, "approve", json!({ "body": edited })), 201);
    let topic = app
        .client()
        .get(&format!("/api/v1/topics/{}", co.topic))
        .json();
    let shown = topic["replies"].to_string();
    assert!(shown.contains("approved-answer-7731"), "published: {shown}");
    assert!(
        !shown.contains("pending-answer-7731"),
        "with the supervisor's edits"
    );
    assert_eq!(decide(&co.admin, "approve", json!({})), 404, "once");

    // sent back with a note: its author sees why, customers never see it
    let (_, second) = app.as_member(
        &co.staff,
        "POST",
        &replies,
        json!({ "body": "Buy a new printer (returned-answer-7731)." }),
    );
    let second = second["pending_id"].as_i64().expect("pending id");
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/pending-replies/{second}/return"),
        json!({ "note": "We do not tell customers to buy again." }),
    );
    assert_eq!(status, 204);
    let mine = api(
        &app,
        &co.staff,
        "GET",
        "/api/v1/brands/acme/approvals",
        Value::Null,
    );
    assert_eq!(mine["items"][0]["state"], "returned");
    assert_eq!(
        mine["items"][0]["note"],
        "We do not tell customers to buy again."
    );
    let page = app
        .client()
        .get(&format!("/brands/acme/topics/{}", co.topic));
    assert!(!page.body.contains("returned-answer-7731"));
}

#[test]
fn public_response_times_are_insights_figures_and_only_community_run_brands_hide_them() {
    let app = TestApp::start_with(Options {
        env: vec![("KOTAE_RESPONSE_TIMES_SECONDS".into(), "0".into())],
        ..Options::default()
    });
    let co = company(&app);
    for title in ["Toner smears", "Paper feed squeaks", "Wi-Fi drops"] {
        let topic = post_topic(&app, &co.asker, "acme", "problem", title);
        api(
            &app,
            &co.staff,
            "POST",
            &format!("/api/v1/topics/{topic}/replies"),
            json!({ "body": "We are looking at it." }),
        );
    }
    post_topic(
        &app,
        &co.asker,
        "acme",
        "question",
        "Which cable do I need?",
    );
    let brand = app.client().get("/api/v1/brands/acme").json();
    let public = &brand["response_times"];
    let insights = api(
        &app,
        &co.admin,
        "GET",
        "/api/v1/brands/acme/insights?days=30",
        Value::Null,
    );
    assert_eq!(public["topics"], insights["topics"], "{public} {insights}");
    assert_eq!(public["topics"], 5);
    assert_eq!(
        public["median_staff_secs"],
        insights["first_staff_response"]["median_secs"]
    );
    assert_eq!(public["staff_percent"], 60.0, "3 of 5 have a staff reply");
    assert_eq!(public["community_percent"], 20.0, "mia answered the first");
    let page = app.client().get("/brands/acme");
    assert!(page.body.contains("Median first official response"));

    let (status, _) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/response-times",
        json!({ "hidden": true }),
    );
    assert_eq!(status, 409, "a claimed brand shows them");
    common::staff::create_brand(&app, &co.member, "Fans", "fans", None);
    let (status, _) = app.as_member(
        &co.asker,
        "PUT",
        "/api/v1/brands/fans/response-times",
        json!({ "hidden": true }),
    );
    assert_eq!(status, 403, "only the community's admins");
    api(
        &app,
        &co.site_admin,
        "PUT",
        "/api/v1/brands/fans/response-times",
        json!({ "hidden": true }),
    );
    let fans = app.client().get("/api/v1/brands/fans").json();
    assert_eq!(fans["response_times"], Value::Null, "{fans}");
}

/// Sets a topic's creation time to `minutes` ago, as if it had waited that long.
fn waited(app: &TestApp, topic: i64, minutes: i64) {
    use diesel::prelude::*;
    use kotae::db::schema::topics;
    let at = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(minutes);
    let mut c = app.db();
    diesel::update(topics::table.find(topic))
        .set(topics::created_at.eq(at))
        .execute(&mut c)
        .expect("move the topic back in time");
}

fn with_feeling(app: &TestApp, who: &Member, title: &str, feeling: Option<&str>) -> i64 {
    let created = api(
        app,
        who,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "problem", "title": title, "body": "Details inside.", "feeling": feeling }),
    );
    created["id"].as_i64().expect("id")
}

/// The fixture, with a target of 60 minutes (points: 10 per target's length waited without a
/// staff reply, up to 10 lengths; 1 per me-too; 2 more per me-too today; angry 15,
/// frustrated 8):
///
/// | topic | waited | staff replied | me-toos today | feeling | priority |
/// | --- | --- | --- | --- | --- | --- |
/// | calm | 30 min | no | 0 | — | 5 |
/// | ancient | 12 h | no | 0 | — | 100 (the cap: 10 lengths) |
/// | old | 5 h | no | 0 | — | 50 |
/// | hot | 10 min | no | 3 | angry | 1.7 + 3 + 6 + 15 = 25.7 |
/// | handled | 20 h | yes | 1 | — | 0 + 1 + 2 = 3 |
/// | upset | 2 h | no | 0 | frustrated | 20 + 8 = 28 |
///
/// So: ancient, old, upset, hot, calm, handled, then the company's question, asked just now.
#[test]
fn the_queue_puts_the_most_urgent_thread_first_and_says_why() {
    let app = TestApp::start();
    let co = company(&app);
    api(
        &app,
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/settings",
        json!({ "first_response_minutes": 60 }),
    );
    let calm = with_feeling(&app, &co.asker, "Calm thread", None);
    let old = with_feeling(&app, &co.asker, "Old thread", None);
    let ancient = with_feeling(&app, &co.asker, "Ancient thread", None);
    let hot = with_feeling(&app, &co.asker, "Hot thread", Some("angry"));
    let handled = with_feeling(&app, &co.asker, "Handled thread", None);
    let upset = with_feeling(&app, &co.asker, "Upset thread", Some("frustrated"));
    for who in [&co.member, &co.other_staff, &co.site_admin] {
        me_too(&app, who, hot);
    }
    me_too(&app, &co.member, handled);
    api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{handled}/replies"),
        json!({ "body": "On it." }),
    );
    waited(&app, calm, 30);
    waited(&app, old, 5 * 60);
    waited(&app, ancient, 12 * 60);
    waited(&app, hot, 10);
    waited(&app, handled, 20 * 60);
    waited(&app, upset, 2 * 60);

    let order = |query: &str| -> Vec<i64> {
        let queue = api(
            &app,
            &co.staff,
            "GET",
            &format!("/api/v1/brands/acme/queue?view=all{query}"),
            Value::Null,
        );
        queue["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        order(""),
        vec![ancient, old, upset, hot, calm, handled, co.topic]
    );
    assert_eq!(
        order("&order=waiting"),
        vec![handled, ancient, old, upset, calm, hot, co.topic]
    );
    assert_eq!(order("&per_page=2&page=2"), vec![upset, hot]);
    let queue = api(
        &app,
        &co.staff,
        "GET",
        "/api/v1/brands/acme/queue?view=all",
        Value::Null,
    );
    assert_eq!(queue["items"][0]["priority"], 100.0, "{queue}");
    assert_eq!(queue["total"], 7, "{queue}");
    let hot_row = &queue["items"][3];
    assert_eq!(hot_row["priority"], 25.7, "{hot_row}");
    assert_eq!(
        hot_row["priority_reasons"],
        json!(["waiting 10m", "3 me-too", "+3 today", "angry"]),
    );
    assert_eq!(
        queue["items"][1]["priority_reasons"][0],
        "waiting 4h 0m past target"
    );
    let page = signed_in(&app, "sam").get("/brands/acme/queue?view=all");
    assert!(
        page.body.contains("waiting 4h 0m past target"),
        "explained on the page"
    );
}

#[test]
fn official_answers_carry_a_verified_version_and_come_back_for_review() {
    let app = TestApp::start();
    let co = company(&app);
    let reply = api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/replies", co.topic),
        json!({ "body": "Update the driver.", "verified_version": "4.2", "review_on": "2027-06-01" }),
    );
    assert_eq!(reply["verified_version"], "4.2");
    let id = reply["id"].as_i64().expect("id");
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{}/replies", co.topic),
        json!({ "body": "Me neither.", "verified_version": "4.2" }),
    );
    assert_eq!(status, 403, "only staff verify");
    let due = api(
        &app,
        &co.staff,
        "GET",
        "/api/v1/brands/acme/reverify",
        Value::Null,
    );
    assert_eq!(due["items"], json!([]), "not due yet");
    // its review date passes
    {
        use diesel::prelude::*;
        use kotae::db::schema::replies;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
        diesel::update(replies::table.find(id))
            .set(replies::review_at.eq(past))
            .execute(&mut app.db())
            .expect("review date passes");
    }
    let due = api(
        &app,
        &co.staff,
        "GET",
        "/api/v1/brands/acme/reverify",
        Value::Null,
    );
    assert_eq!(due["items"][0]["reply_id"], id, "{due}");
    let page = signed_in(&app, "sam").get("/brands/acme/reverify");
    assert!(page.body.contains("The printer stopped printing"));
    let (status, _) = app.as_member(
        &co.member,
        "GET",
        "/api/v1/brands/acme/reverify",
        Value::Null,
    );
    assert_eq!(status, 403);
    api(
        &app,
        &co.staff,
        "PUT",
        &format!("/api/v1/replies/{id}/verification"),
        json!({ "verified_version": "5.0", "review_on": "2027-12-01" }),
    );
    let due = api(
        &app,
        &co.staff,
        "GET",
        "/api/v1/brands/acme/reverify",
        Value::Null,
    );
    assert_eq!(due["items"], json!([]), "verified again");
    let topic = app
        .client()
        .get(&format!("/brands/acme/topics/{}", co.topic));
    assert!(topic.body.contains("Verified for 5.0"), "customers see it");
}

#[test]
fn a_handover_note_reaches_the_new_assignee_and_stays_with_the_staff() {
    let app = TestApp::start();
    let co = company(&app);
    let note = "Customer is on firmware 4.1; they tried a reset already.";
    api(
        &app,
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.staff.id, "note": note }),
    );
    let mail = mail_containing(&app, &co.staff.email, "Handover note");
    assert!(mail.contains(note), "{mail}");
    let events = format!("/api/v1/topics/{}/events", co.topic);
    let staff_view = api(&app, &co.staff, "GET", &events, Value::Null).to_string();
    assert!(staff_view.contains("handover") && staff_view.contains("firmware 4.1"));
    let notes = api(
        &app,
        &co.staff,
        "GET",
        &format!("/api/v1/topics/{}/notes", co.topic),
        Value::Null,
    );
    assert!(notes.to_string().contains("firmware 4.1"), "kept as a note");
    let public = app.client().get(&events).body;
    assert!(!public.contains("firmware 4.1"), "not for customers");
    let page = app
        .client()
        .get(&format!("/brands/acme/topics/{}", co.topic))
        .body;
    assert!(!page.contains("firmware 4.1"));
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.admin.id, "note": "x".repeat(2001) }),
    );
    assert_eq!(status, 422, "notes have a size limit");
}

#[test]
fn bad_notices_review_dates_and_spike_rules_get_422_and_change_nothing() {
    let app = TestApp::start();
    let co = company(&app);
    let refused = |who: &Member, method: &str, path: &str, body: Value, field: &str| {
        let (status, answer) = app.as_member(who, method, path, body.clone());
        assert_eq!(status, 422, "{path} {body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    };
    refused(
        &co.staff,
        "PUT",
        "/api/v1/brands/acme/notice",
        json!({ "body": "x".repeat(501) }),
        "body",
    );
    refused(
        &co.staff,
        "PUT",
        "/api/v1/brands/acme/notice",
        json!({ "body": "   " }),
        "body",
    );
    let brand = api(&app, &co.asker, "GET", "/api/v1/brands/acme", Value::Null);
    assert_eq!(brand["notice"], Value::Null, "no notice pinned");

    let official = api(
        &app,
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/replies", co.topic),
        json!({ "body": "Hold the power button for ten seconds." }),
    )["id"]
        .clone();
    let verification = format!("/api/v1/replies/{official}/verification");
    for review_on in ["not a date", "2026-02-30", "2099-01-01"] {
        refused(
            &co.staff,
            "PUT",
            &verification,
            json!({ "verified_version": "5.0", "review_on": review_on }),
            "review_on",
        );
    }
    let shown = api(
        &app,
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}", co.topic),
        Value::Null,
    );
    let reply = shown["replies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == co.reply)
        .cloned()
        .unwrap();
    assert_eq!(reply["verified_version"], Value::Null, "{reply}");

    let rules = "/api/v1/brands/acme/escalation-rules";
    let before = api(&app, &co.admin, "GET", rules, Value::Null);
    refused(
        &co.admin,
        "PUT",
        rules,
        json!({ "spike_me_toos": -1 }),
        "spike_me_toos",
    );
    refused(
        &co.admin,
        "PUT",
        rules,
        json!({ "spike_me_toos": 1_000_000 }),
        "spike_me_toos",
    );
    refused(
        &co.admin,
        "PUT",
        rules,
        json!({ "spike_minutes": 0 }),
        "spike_minutes",
    );
    assert_eq!(
        api(&app, &co.admin, "GET", rules, Value::Null),
        before,
        "rules unchanged"
    );
}
