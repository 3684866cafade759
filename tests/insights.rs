//! Insights against a hand-computed fixture: a brand's topics, replies, votes, me-toos,
//! statuses and escalations made through the API, then moved to fixed times (the API stamps
//! "now"), and every figure checked against the values worked out by hand in the comments.

mod common;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kotae::db::schema::{escalations, me_toos, replies, topic_events, topics};
use serde_json::{Value, json};

use common::staff::{company, post_topic, signed_in};
use common::{Member, Options, TestApp};

/// The fixture's clock: hour 0 is midnight (UTC) ten days ago.
struct Clock {
    zero: NaiveDateTime,
}

impl Clock {
    fn new() -> Clock {
        let today = Utc::now().date_naive();
        Clock {
            zero: (today - Duration::days(10)).and_hms_opt(0, 0, 0).unwrap(),
        }
    }

    fn at(&self, hours: f64) -> NaiveDateTime {
        self.zero + Duration::seconds((hours * 3600.0) as i64)
    }

    /// The period query covering days 0 to 6 of the fixture.
    fn period(&self) -> String {
        let first = self.zero.date();
        format!("from={first}&to={}", first + Duration::days(6))
    }
}

fn call(app: &TestApp, who: &Member, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.as_member(who, method, path, body);
    assert!(status < 300, "{method} {path}: {status} {answer}");
    answer
}

fn ask(app: &TestApp, who: &Member, kind: &str, title: &str, feeling: Option<&str>) -> i64 {
    let answer = call(
        app,
        who,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": kind, "title": title, "body": "What happened, in a few words.",
                "feeling": feeling }),
    );
    answer["id"].as_i64().expect("topic id")
}

fn reply(app: &TestApp, who: &Member, topic: i64, body: &str) -> i64 {
    let answer = call(
        app,
        who,
        "POST",
        &format!("/api/v1/topics/{topic}/replies"),
        json!({ "body": body }),
    );
    answer["id"].as_i64().expect("reply id")
}

/// Sets a topic's times: posted, first response, first staff response, resolved.
fn topic_times(
    app: &TestApp,
    id: i64,
    created: NaiveDateTime,
    first: Option<NaiveDateTime>,
    staff: Option<NaiveDateTime>,
    resolved: Option<NaiveDateTime>,
) {
    let last = [Some(created), first, staff, resolved]
        .into_iter()
        .flatten()
        .max()
        .unwrap();
    diesel::update(topics::table.find(id))
        .set((
            topics::created_at.eq(created),
            topics::first_response_at.eq(first),
            topics::first_staff_response_at.eq(staff),
            topics::resolved_at.eq(resolved),
            topics::last_activity_at.eq(last + Duration::days(1)),
        ))
        .execute(&mut app.db())
        .expect("topic times");
}

fn reply_time(app: &TestApp, id: i64, at: NaiveDateTime) {
    diesel::update(replies::table.find(id))
        .set(replies::created_at.eq(at))
        .execute(&mut app.db())
        .expect("reply time");
}

fn me_too(app: &TestApp, who: &Member, topic: i64, at: NaiveDateTime) {
    call(
        app,
        who,
        "POST",
        &format!("/api/v1/topics/{topic}/me-too"),
        json!({}),
    );
    diesel::update(me_toos::table.find((topic, who.id)))
        .set(me_toos::created_at.eq(at))
        .execute(&mut app.db())
        .expect("me-too time");
}

/// Sets a status as `who`, and moves the change (and the topic's resolution) to `at`.
fn status(app: &TestApp, who: &Member, topic: i64, status: &str, at: NaiveDateTime) {
    call(
        app,
        who,
        "POST",
        &format!("/api/v1/topics/{topic}/status"),
        json!({ "status": status }),
    );
    event_time(app, topic, at);
}

/// Moves the topic's latest status event to `at`.
fn event_time(app: &TestApp, topic: i64, at: NaiveDateTime) {
    let mut c = app.db();
    let latest: i64 = topic_events::table
        .filter(topic_events::topic_id.eq(topic))
        .filter(topic_events::kind.eq("status"))
        .select(diesel::dsl::max(topic_events::id))
        .first::<Option<i64>>(&mut c)
        .expect("status event")
        .expect("a status event");
    diesel::update(topic_events::table.find(latest))
        .set(topic_events::created_at.eq(at))
        .execute(&mut c)
        .expect("event time");
}

fn escalation_times(
    app: &TestApp,
    id: i64,
    opened: NaiveDateTime,
    acknowledged: Option<NaiveDateTime>,
    resolved: Option<NaiveDateTime>,
) {
    diesel::update(escalations::table.find(id))
        .set((
            escalations::opened_at.eq(opened),
            escalations::acknowledged_at.eq(acknowledged),
            escalations::resolved_at.eq(resolved),
        ))
        .execute(&mut app.db())
        .expect("escalation times");
}

struct Fixture {
    app: TestApp,
    clock: Clock,
    people: common::staff::Company,
}

/// The brand Acme's week, hour by hour (h = hours after the clock's zero):
///
/// | topic | kind, feeling | posted | first response | first staff | resolved |
/// |---|---|---|---|---|---|
/// | Q1 ana | question, confused | 0 | mia 1 (accepted) | sam 3 | accepted 5 |
/// | Q2 kai | question, frustrated | 24 | sam 26 (voted helpful) | sam 26 | — |
/// | Q3 lee | question | 48 | — | — | — |
/// | Q4 ana | question | 72 | mia 72.5 (helpful), lee 73 (2 helpful) | — | — |
/// | P1 kai | problem, angry, Printer | 4 | sam 5 | sam 5 | sam solves 14 |
/// | P2 lee | problem, angry | 30 | mia 50 | — | — |
/// | I1 mia | idea, happy | 6 | — | — | sam implements 100 |
/// | I2 ana | idea, "=HYPERLINK" title | 50 | — | — | (planned) |
/// | R1 lee | praise, thankful | 60 | boss 60.25 | boss 60.25 | — |
///
/// Also: the company's first question (posted 40 days before), a hidden problem, me-toos on
/// P1 (ana 5, lee 6, mia 7), P2 (ana 32) and I1 (ana, lee); escalations on Q2 by sam (26,
/// acknowledged 27, resolved 29), on P2 by sam (31, acknowledged 31.5), and help asked by
/// ana on I2 (52). Sam takes Q2 and P1; boss assigns P2 to sam.
fn fixture() -> Fixture {
    let env = [
        ("KOTAE_POINTS_HELPFUL", "10"),
        ("KOTAE_POINTS_ACCEPTED", "25"),
        ("KOTAE_CHAMPION_POINTS", "30"),
    ];
    let app = TestApp::start_with(Options {
        env: env.map(|(k, v)| (k.to_string(), v.to_string())).to_vec(),
        ..Options::default()
    });
    let people = company(&app);
    let (kai, lee) = (app.member("kai"), app.member("lee"));
    let clock = Clock::new();
    let h = |hours: f64| clock.at(hours);
    let (ana, mia, sam, boss) = (&people.asker, &people.member, &people.staff, &people.admin);
    call(
        &app,
        boss,
        "PUT",
        "/api/v1/brands/acme/settings",
        json!({ "first_response_minutes": 60 }),
    );

    // the company's question and its reply, long before the period
    topic_times(&app, people.topic, h(-960.0), Some(h(-959.0)), None, None);
    reply_time(&app, people.reply, h(-959.0));

    let q1 = ask(
        &app,
        ana,
        "question",
        "Paper jams on the second page",
        Some("confused"),
    );
    let q1_mia = reply(&app, mia, q1, "Open the rear tray and take the roller out.");
    let q1_sam = reply(&app, sam, q1, "Mia is right; a new roller ships free.");
    call(
        &app,
        ana,
        "POST",
        &format!("/api/v1/topics/{q1}/accept"),
        json!({ "reply_id": q1_mia }),
    );
    topic_times(&app, q1, h(0.0), Some(h(1.0)), Some(h(3.0)), Some(h(5.0)));
    reply_time(&app, q1_mia, h(1.0));
    reply_time(&app, q1_sam, h(3.0));
    event_time(&app, q1, h(5.0));

    let q2 = ask(
        &app,
        &kai,
        "question",
        "Wi-Fi setup never finishes",
        Some("frustrated"),
    );
    call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/topics/{q2}/assign"),
        json!({ "user_id": sam.id }),
    );
    let q2_sam = reply(&app, sam, q2, "Hold the WPS button for five seconds.");
    let q2_mia = reply(&app, mia, q2, "Mine needed a router restart.");
    call(
        &app,
        &kai,
        "POST",
        &format!("/api/v1/replies/{q2_sam}/helpful"),
        json!({}),
    );
    topic_times(&app, q2, h(24.0), Some(h(26.0)), Some(h(26.0)), None);
    reply_time(&app, q2_sam, h(26.0));
    reply_time(&app, q2_mia, h(27.0));
    let e = call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/topics/{q2}/escalations"),
        json!({ "reason": "Setup fails for many people" }),
    );
    let e_q2 = e["id"].as_i64().unwrap();
    call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/escalations/{e_q2}/acknowledge"),
        json!({}),
    );
    call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/escalations/{e_q2}/resolve"),
        json!({}),
    );
    escalation_times(&app, e_q2, h(26.0), Some(h(27.0)), Some(h(29.0)));

    let q3 = ask(&app, &lee, "question", "Which toner fits the X200", None);
    topic_times(&app, q3, h(48.0), None, None, None);

    let q4 = ask(&app, ana, "question", "How do I print on envelopes", None);
    let q4_mia = reply(&app, mia, q4, "Use the manual feed slot, flap up.");
    let q4_lee = reply(&app, &lee, q4, "And pick the envelope paper size.");
    call(
        &app,
        ana,
        "POST",
        &format!("/api/v1/replies/{q4_mia}/helpful"),
        json!({}),
    );
    call(
        &app,
        ana,
        "POST",
        &format!("/api/v1/replies/{q4_lee}/helpful"),
        json!({}),
    );
    call(
        &app,
        &kai,
        "POST",
        &format!("/api/v1/replies/{q4_lee}/helpful"),
        json!({}),
    );
    topic_times(&app, q4, h(72.0), Some(h(72.5)), None, None);
    reply_time(&app, q4_mia, h(72.5));
    reply_time(&app, q4_lee, h(73.0));

    fixture_p1(&app, &people, &kai, &lee, &clock);

    let p2 = ask(
        &app,
        &lee,
        "problem",
        "Display flickers after the update",
        Some("angry"),
    );
    let p2_mia = reply(&app, mia, p2, "Same here since Tuesday.");
    me_too(&app, ana, p2, h(32.0));
    call(
        &app,
        boss,
        "POST",
        &format!("/api/v1/topics/{p2}/assign"),
        json!({ "user_id": sam.id }),
    );
    topic_times(&app, p2, h(30.0), Some(h(50.0)), None, None);
    reply_time(&app, p2_mia, h(50.0));
    let e = call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/topics/{p2}/escalations"),
        json!({ "reason": "Firmware team needed" }),
    );
    let e_p2 = e["id"].as_i64().unwrap();
    call(
        &app,
        boss,
        "POST",
        &format!("/api/v1/escalations/{e_p2}/acknowledge"),
        json!({}),
    );
    escalation_times(&app, e_p2, h(31.0), Some(h(31.5)), None);

    let i1 = ask(
        &app,
        mia,
        "idea",
        "A quiet mode for night printing",
        Some("happy"),
    );
    me_too(&app, ana, i1, h(8.0));
    me_too(&app, &lee, i1, h(9.0));
    topic_times(&app, i1, h(6.0), None, None, None);
    status(&app, sam, i1, "implemented", h(100.0));
    topic_times(&app, i1, h(6.0), None, None, Some(h(100.0)));

    let i2 = ask(&app, ana, "idea", "=HYPERLINK a print preview", None);
    status(&app, sam, i2, "planned", h(51.0));
    topic_times(&app, i2, h(50.0), None, None, None);
    let e = call(
        &app,
        ana,
        "POST",
        &format!("/api/v1/topics/{i2}/request-help"),
        json!({ "reason": "Nobody has looked at this" }),
    );
    escalation_times(&app, e["id"].as_i64().unwrap(), h(52.0), None, None);

    let r1 = ask(
        &app,
        &lee,
        "praise",
        "The new driver is fast",
        Some("thankful"),
    );
    let r1_boss = reply(&app, boss, r1, "Thank you, we will tell the team!");
    topic_times(&app, r1, h(60.0), Some(h(60.25)), Some(h(60.25)), None);
    reply_time(&app, r1_boss, h(60.25));

    let hidden = post_topic(&app, &kai, "acme", "problem", "Hidden rant about the brand");
    call(
        &app,
        sam,
        "POST",
        &format!("/api/v1/topics/{hidden}/hide"),
        json!({}),
    );
    topic_times(&app, hidden, h(10.0), None, None, None);

    Fixture { app, clock, people }
}

/// P1 (kai, problem, angry, product Printer) at 4: sam takes it and answers at 5, three
/// me-toos at 5, 6 and 7, sam solves it at 14.
fn fixture_p1(
    app: &TestApp,
    people: &common::staff::Company,
    kai: &Member,
    lee: &Member,
    clock: &Clock,
) {
    let h = |hours: f64| clock.at(hours);
    let (ana, mia, sam) = (&people.asker, &people.member, &people.staff);
    let answer = call(
        app,
        kai,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "problem", "title": "Printer drops off the network", "feeling": "angry",
                "body": "Every night it disappears.", "product": "printer" }),
    );
    let p1 = answer["id"].as_i64().unwrap();
    call(
        app,
        sam,
        "POST",
        &format!("/api/v1/topics/{p1}/assign"),
        json!({ "user_id": sam.id }),
    );
    let p1_sam = reply(app, sam, p1, "Turn off power saving in the network menu.");
    reply_time(app, p1_sam, h(5.0));
    me_too(app, ana, p1, h(5.0));
    me_too(app, lee, p1, h(6.0));
    me_too(app, mia, p1, h(7.0));
    status(app, sam, p1, "solved", h(14.0));
    topic_times(app, p1, h(4.0), Some(h(5.0)), Some(h(5.0)), Some(h(14.0)));
}

fn times(v: &Value) -> (i64, Value, Value) {
    (
        v["n"].as_i64().unwrap(),
        v["median_secs"].clone(),
        v["p90_secs"].clone(),
    )
}

fn kind<'a>(body: &'a Value, kind: &str) -> &'a Value {
    body["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap()
}

fn staff_row<'a>(body: &'a Value, username: &str) -> &'a Value {
    body["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == username)
        .unwrap()
}

#[test]
fn every_figure_matches_the_hand_computed_fixture() {
    let f = fixture();
    let (app, boss) = (&f.app, &f.people.admin);
    let path = format!("/api/v1/brands/acme/insights?{}", f.clock.period());
    let (status, body) = app.as_member(boss, "GET", &path, json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["period"]["days"], 7);

    // 9 topics: the hidden one and the company's old question are left out
    assert_eq!(body["topics"], 9);
    let question = kind(&body, "question");
    assert_eq!(
        (
            question["topics"].as_i64(),
            question["without_response"].as_i64()
        ),
        (Some(4), Some(1))
    );
    assert_eq!(
        (
            question["without_staff_response"].as_i64(),
            question["resolved"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(kind(&body, "problem")["topics"], 2);
    assert_eq!(kind(&body, "idea")["without_response"], 2);
    assert_eq!(kind(&body, "praise")["topics"], 1);

    // first response: 900 1800 3600 3600 7200 72000 → median rank 3, p90 rank 6
    assert_eq!(
        times(&body["first_response"]),
        (6, json!(3600), json!(72000))
    );
    // questions 1800 3600 7200; problems 3600 72000; praise 900
    assert_eq!(
        times(&question["first_response"]),
        (3, json!(3600), json!(7200))
    );
    assert_eq!(
        times(&kind(&body, "problem")["first_response"]),
        (2, json!(3600), json!(72000))
    );
    assert_eq!(
        times(&kind(&body, "praise")["first_response"]),
        (1, json!(900), json!(900))
    );
    assert_eq!(
        times(&kind(&body, "idea")["first_response"]),
        (0, Value::Null, Value::Null)
    );
    // first staff response: 900 3600 7200 10800 → rank 2 and rank 4
    assert_eq!(
        times(&body["first_staff_response"]),
        (4, json!(3600), json!(10800))
    );
    assert_eq!(
        times(&question["first_staff_response"]),
        (2, json!(7200), json!(10800))
    );
    // resolution: Q1 18000, P1 36000, I1 338400
    assert_eq!(times(&body["resolution"]), (3, json!(36000), json!(338400)));
    assert_eq!(
        times(&kind(&body, "idea")["resolution"]),
        (1, json!(338400), json!(338400))
    );

    // Q1 and Q4 by the community, Q2 by staff (its first helpful reply), Q3 not answered
    let answered = &body["answered"];
    assert_eq!(
        (
            answered["questions"].as_i64(),
            answered["by_community"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(
        (
            answered["by_staff"].as_i64(),
            answered["unanswered"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let share = answered["community_share"].as_f64().unwrap();
    assert!((share - 200.0 / 3.0).abs() < 0.01, "{share}");

    // now: open Q2 Q3 Q4 P2 I2 R1 and the old question; no reply: Q3 I2; past the
    // 60-minute target without staff: Q3 Q4 P2 I2 and the old question
    assert_eq!(
        body["waiting"],
        json!({ "open": 7, "unanswered": 2, "overdue": 5 })
    );
    assert_eq!(body["overdue_counted"], true);

    // escalations: staff 2 (acknowledged in 3600 and 1800, one resolved in 10800), author 1
    let esc = &body["escalations"];
    assert_eq!(esc["opened"], 3);
    assert_eq!(times(&esc["acknowledge"]), (2, json!(1800), json!(3600)));
    assert_eq!(times(&esc["resolve"]), (1, json!(10800), json!(10800)));
    let reasons: Vec<(String, i64)> = esc["by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_string(),
                r["opened"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [("author".to_string(), 1), ("staff".to_string(), 2)]
    );

    // feelings per day: day 0 confused, angry, happy; day 1 frustrated, angry; day 2 thankful
    let feelings = &body["feelings"];
    assert_eq!(feelings["bucket_days"], 1);
    assert_eq!(feelings["labels"].as_array().unwrap().len(), 7);
    assert_eq!(
        feelings["series"],
        json!([
            ["happy", [1, 0, 0, 0, 0, 0, 0]],
            ["thankful", [0, 0, 1, 0, 0, 0, 0]],
            ["confused", [1, 0, 0, 0, 0, 0, 0]],
            ["frustrated", [0, 1, 0, 0, 0, 0, 0]],
            ["angry", [1, 1, 0, 0, 0, 0, 0]],
        ])
    );

    // problems by me-too in the period: P1 3, P2 1
    let top: Vec<(i64, i64)> = body["top_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["n"].as_i64().unwrap(), p["total"].as_i64().unwrap()))
        .collect();
    assert_eq!(top, [(3, 3), (1, 1)]);
    assert_eq!(
        body["top_problems"][0]["title"],
        "Printer drops off the network"
    );

    // ideas: I1 implemented (told: mia, ana, lee), I2 planned
    let ideas: std::collections::HashMap<String, i64> = body["ideas"]["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_str().unwrap().to_string(), s[1].as_i64().unwrap()))
        .collect();
    assert_eq!((ideas["implemented"], ideas["planned"]), (1, 1));
    assert_eq!(ideas.values().sum::<i64>(), 2);
    assert_eq!(body["ideas"]["implemented"][0]["n"], 3);

    // helpers: mia 4 replies, 1 helpful, 1 accepted = 35 points; lee 1 reply, 2 helpful = 20
    let helpers: Vec<(String, i64, i64, i64, i64)> = body["helpers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["username"].as_str().unwrap().to_string(),
                h["replies"].as_i64().unwrap(),
                h["helpful"].as_i64().unwrap(),
                h["accepted"].as_i64().unwrap(),
                h["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        helpers,
        [("mia".into(), 4, 1, 1, 35), ("lee".into(), 1, 2, 0, 20)]
    );
    // champions (30 points all time): mia's 35; lee's 20 is not enough
    let champions: Vec<&str> = body["champions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["username"].as_str().unwrap())
        .collect();
    assert_eq!(champions, ["mia"]);
    assert_eq!(body["helpers"][0]["champion"], true);

    // staff: sam has Q2 P1 P2, answered Q1 Q2 P1, resolved P1 and I1, first replies in
    // 3600 7200 10800; boss answered R1 in 900
    let sam = staff_row(&body, "sam");
    assert_eq!(
        (
            sam["taken"].as_i64(),
            sam["answered"].as_i64(),
            sam["solved"].as_i64()
        ),
        (Some(3), Some(3), Some(2))
    );
    assert_eq!(times(&sam["response"]), (3, json!(7200), json!(10800)));
    let boss_row = staff_row(&body, "boss");
    assert_eq!(
        (
            boss_row["taken"].as_i64(),
            boss_row["answered"].as_i64(),
            boss_row["solved"].as_i64()
        ),
        (Some(0), Some(1), Some(0))
    );
    assert_eq!(times(&boss_row["response"]), (1, json!(900), json!(900)));

    // one product: P1 alone
    let (status, printer) =
        app.as_member(boss, "GET", &format!("{path}&product=printer"), json!({}));
    assert_eq!(status, 200, "{printer}");
    assert_eq!(printer["topics"], 1);
    assert_eq!(
        times(&printer["first_response"]),
        (1, json!(3600), json!(3600))
    );
    assert_eq!(printer["top_problems"].as_array().unwrap().len(), 1);

    // the site-wide figures hold the same topics (the other brand has none) and no staff
    let site = format!("/api/v1/admin/insights?{}", f.clock.period());
    let (status, whole) = app.as_member(&f.people.site_admin, "GET", &site, json!({}));
    assert_eq!(status, 200, "{whole}");
    assert_eq!(
        (whole["topics"].clone(), whole["first_response"].clone()),
        (body["topics"].clone(), body["first_response"].clone())
    );
    assert_eq!(whole["staff"], json!([]));
}

#[test]
fn only_staff_see_insights_and_only_admins_choose_champions() {
    let f = fixture_light();
    let (app, c) = (&f.0, &f.1);
    let path = "/api/v1/brands/acme/insights";
    assert_eq!(app.client().get(path).status, 401);
    for (who, expected) in [
        (&c.member, 403),
        (&c.other_staff, 403),
        (&c.staff, 200),
        (&c.admin, 200),
        (&c.site_admin, 200),
    ] {
        let (status, body) = app.as_member(who, "GET", path, json!({}));
        assert_eq!(status, expected, "{}: {body}", who.username);
    }
    let (status, _) = app.as_member(&c.staff, "GET", "/api/v1/admin/insights", json!({}));
    assert_eq!(status, 403);
    for bad in [
        "?days=8",
        "?from=2026-02-01&to=2026-01-01",
        "?from=nonsense&to=2026-01-01",
        "?product=nope",
    ] {
        let (status, body) = app.as_member(&c.admin, "GET", &format!("{path}{bad}"), json!({}));
        assert_eq!(status, 422, "{bad}: {body}");
    }

    let grant = "/api/v1/brands/acme/champions/mia";
    let (status, _) = app.as_member(&c.staff, "PUT", grant, json!({}));
    assert_eq!(status, 403, "staff may not grant");
    let (status, _) = app.as_member(&c.admin, "PUT", grant, json!({}));
    assert_eq!(status, 204);
    let (status, _) = app.as_member(&c.admin, "PUT", grant, json!({}));
    assert_eq!(status, 204, "granting twice changes nothing");
    let (_, body) = app.as_member(&c.staff, "GET", path, json!({}));
    assert_eq!(body["brand_champions"][0]["username"], "mia");
    assert_eq!(body["helpers"][0]["brand_champion"], true);
    let topic_page = app
        .client()
        .get(&format!("/brands/acme/topics/{}", c.topic));
    assert!(
        topic_page.body.contains("Acme champion"),
        "the badge shows beside mia's reply"
    );
    let (status, _) = app.as_member(
        &c.admin,
        "PUT",
        "/api/v1/brands/acme/champions/nobody",
        json!({}),
    );
    assert_eq!(status, 422);
    let (status, _) = app.as_member(&c.admin, "DELETE", grant, json!({}));
    assert_eq!(status, 204);
    let (_, body) = app.as_member(&c.staff, "GET", path, json!({}));
    assert_eq!(body["brand_champions"], json!([]));
}

fn fixture_light() -> (TestApp, common::staff::Company) {
    let app = TestApp::start();
    let people = company(&app);
    (app, people)
}

#[test]
fn the_page_and_the_csv_export_show_the_figures() {
    let (app, c) = fixture_light();
    let topic = ask(
        &app,
        &c.asker,
        "idea",
        "=cmd|' /C calc'!A0 would be handy",
        Some("happy"),
    );
    let web = signed_in(&app, "sam");
    let page = web.get("/brands/acme/insights?days=7");
    assert_eq!(page.status, 200, "{}", page.body);
    for expected in [
        "<svg",
        "chart-kinds-title",
        "Who answers questions",
        "How customers feel",
    ] {
        assert!(page.body.contains(expected), "page lacks {expected}");
    }
    let csv = web.get("/brands/acme/insights.csv?days=7");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("id,created_at,kind,status"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines.len(),
        3,
        "header, the company's question and the idea: {}",
        csv.body
    );
    let idea = lines
        .iter()
        .find(|l| l.starts_with(&format!("{topic},")))
        .unwrap();
    assert!(idea.contains(",'=cmd|"), "a formula is made inert: {idea}");
    let member = signed_in(&app, "mia");
    assert_eq!(member.get("/brands/acme/insights.csv").status, 403);
    assert_eq!(member.get("/brands/acme/insights").status, 403);
}
