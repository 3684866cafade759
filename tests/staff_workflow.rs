//! The staff workflow end to end over HTTP: claims, staff, the queue, assignment, statuses
//! that close the loop by mail, internal notes that never leak, moderation and bans.

mod common;

use std::time::Duration;

use common::TestApp;
use common::staff::{company, create_brand, make_site_admin, post_topic, signed_in};
use serde_json::{Value, json};

#[test]
fn a_claim_goes_by_mail_to_the_brands_domain_or_to_a_site_admin() {
    let app = TestApp::start();
    let founder = app.member("founder");
    let boss = app.member("boss");
    create_brand(&app, &founder, "Acme", "acme", Some("acme.test"));
    let topic = post_topic(&app, &founder, "acme", "question", "Where is the manual?");

    let (status, body) = app.as_member(
        &boss,
        "POST",
        "/api/v1/brands/acme/claims",
        json!({ "email": "boss@acme.test.evil.example" }),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "email");

    let address = "boss@support.acme.test";
    let (status, _) = app.as_member(
        &boss,
        "POST",
        "/api/v1/brands/acme/claims",
        json!({ "email": address }),
    );
    assert_eq!(status, 202);
    let mail = app.smtp.wait_for(address, 1, Duration::from_secs(20));
    let token = common::token_from(&mail[0].text_body(), "/claims/confirm?token=");
    assert!(mail[0].subject().contains("Acme"), "{}", mail[0].subject());
    // a mail scanner following the link only sees a page with a button
    let page = signed_in(&app, "boss").get(&format!("/claims/confirm?token={token}"));
    assert_eq!(page.status, 200);
    let (_, brand) = app.as_member(&boss, "GET", "/api/v1/brands/acme", Value::Null);
    assert_eq!(brand["claimed"], false);

    let (status, body) = app.as_member(
        &boss,
        "POST",
        "/api/v1/claims/confirm",
        json!({ "token": token }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.as_member(
        &boss,
        "POST",
        "/api/v1/claims/confirm",
        json!({ "token": token }),
    );
    assert_eq!(status, 422, "a claim link works once");
    let (_, me) = app.as_member(&boss, "GET", "/api/v1/me", Value::Null);
    assert_eq!(
        me["brands"],
        json!([{ "slug": "acme", "name": "Acme", "role": "admin" }])
    );
    let (_, brand) = app.as_member(&boss, "GET", "/api/v1/brands/acme", Value::Null);
    assert_eq!(brand["claimed"], true);
    let (status, _) = app.as_member(
        &boss,
        "GET",
        &format!("/api/v1/topics/{topic}"),
        Value::Null,
    );
    assert_eq!(status, 200, "claiming keeps every thread");

    // no domain: a site admin decides; then takes the claim back
    let root = app.member("root");
    make_site_admin(&app, &root);
    create_brand(&app, &founder, "Corner Shop", "corner", None);
    let (status, body) = app.as_member(
        &boss,
        "POST",
        "/api/v1/brands/corner/claims",
        json!({ "reason": "short" }),
    );
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (422, &json!("reason"))
    );
    let (status, body) = app.as_member(
        &boss,
        "POST",
        "/api/v1/brands/corner/claims",
        json!({ "reason": "I own the shop; ring the number on its door." }),
    );
    assert_eq!((status, &body["state"]), (202, &json!("pending")));
    let (_, claims) = app.as_member(&root, "GET", "/api/v1/admin/claims", Value::Null);
    let claim = &claims["items"][0];
    assert_eq!(
        (&claim["brand"], &claim["state"]),
        (&json!("corner"), &json!("pending"))
    );
    let id = claim["id"].clone();
    let (status, _) = app.as_member(
        &root,
        "POST",
        &format!("/api/v1/admin/claims/{id}/approve"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &root,
        "POST",
        &format!("/api/v1/admin/claims/{id}/approve"),
        Value::Null,
    );
    assert_eq!(status, 409, "a claim is decided once");
    let (status, _) = app.as_member(&boss, "GET", "/api/v1/brands/corner/queue", Value::Null);
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &root,
        "POST",
        "/api/v1/admin/brands/corner/revoke-claim",
        Value::Null,
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(&boss, "GET", "/api/v1/brands/corner/queue", Value::Null);
    assert_eq!(status, 403, "a revoked claim takes the staff tools away");
    let (_, brand) = app.as_member(&boss, "GET", "/api/v1/brands/corner", Value::Null);
    assert_eq!(brand["claimed"], false);
}

#[test]
fn staff_join_by_username_or_by_a_mailed_invitation_and_a_brand_keeps_one_admin() {
    let app = TestApp::start();
    let co = company(&app);
    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/staff",
        json!({ "email": "newhire@elsewhere.example", "role": "staff", "title": "Night shift" }),
    );
    assert_eq!((status, &body["invited"]), (201, &json!(true)), "{body}");
    let mail = app
        .smtp
        .wait_for("newhire@elsewhere.example", 1, Duration::from_secs(20));
    let token = common::token_from(&mail[0].text_body(), "/invitations/accept?token=");
    let newhire = app.member("newhire");
    let (status, _) = app.as_member(
        &newhire,
        "POST",
        "/api/v1/invitations/accept",
        json!({ "token": token }),
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &newhire,
        "POST",
        "/api/v1/invitations/accept",
        json!({ "token": token }),
    );
    assert_eq!(status, 422, "an invitation works once");
    let (_, staff) = app.as_member(&co.admin, "GET", "/api/v1/brands/acme/staff", Value::Null);
    let hire = staff["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["username"] == "newhire")
        .expect("the invitee is staff")
        .clone();
    assert_eq!(
        (&hire["role"], &hire["title"]),
        (&json!("staff"), &json!("Night shift"))
    );

    // an address already registered gets the same answer and an invitation too
    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/staff",
        json!({ "email": "mia@example.com", "role": "staff" }),
    );
    assert_eq!((status, &body["invited"]), (201, &json!(true)));

    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/staff",
        json!({ "username": "sam", "role": "boss" }),
    );
    assert_eq!(status, 422, "roles are staff or admin");
    let (status, _) = app.as_member(
        &co.admin,
        "PATCH",
        &format!("/api/v1/brands/acme/staff/{}", co.admin.id),
        json!({ "role": "staff" }),
    );
    assert_eq!(status, 409, "the last admin stays an admin");
    let (status, _) = app.as_member(
        &co.admin,
        "DELETE",
        &format!("/api/v1/brands/acme/staff/{}", co.admin.id),
        Value::Null,
    );
    assert_eq!(status, 409);
    let (status, _) = app.as_member(
        &co.admin,
        "DELETE",
        &format!("/api/v1/brands/acme/staff/{}", newhire.id),
        Value::Null,
    );
    assert_eq!(status, 204);
    let (status, _) = app.as_member(&newhire, "GET", "/api/v1/brands/acme/queue", Value::Null);
    assert_eq!(status, 403);
}

fn events(app: &TestApp, token: Option<&common::Member>, topic: i64) -> Vec<Value> {
    let path = format!("/api/v1/topics/{topic}/events");
    let body = match token {
        Some(m) => app.as_member(m, "GET", &path, Value::Null).1,
        None => app.client().get(&path).json(),
    };
    body["items"].as_array().expect("items").clone()
}

#[test]
fn statuses_follow_the_kind_and_close_the_loop_with_followers_and_me_toos() {
    let app = TestApp::start();
    let co = company(&app);
    let problem = post_topic(&app, &co.asker, "acme", "problem", "Streaks on every page");
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{problem}/me-too"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let status_of = |body: Value| {
        let path = format!("/api/v1/topics/{problem}/status");
        app.as_member(&co.staff, "POST", &path, body)
    };
    for wrong in ["answered", "planned", "nonsense", ""] {
        let (status, body) = status_of(json!({ "status": wrong }));
        assert_eq!(status, 422, "{wrong}: {body}");
        assert_eq!(body["errors"][0]["field"], "status");
    }
    for next in ["acknowledged", "in_progress"] {
        assert_eq!(status_of(json!({ "status": next })).0, 200);
    }
    let (status, body) = status_of(json!({ "status": "solved", "note": "Fixed in firmware 3.2." }));
    assert_eq!((status, &body["status"]), (200, &json!("solved")));

    // the asker follows, and "me too" follows: both hear of it, in their own mail
    for who in [&co.asker, &co.member] {
        let mail = app.smtp.wait_for(&who.email, 4, Duration::from_secs(20));
        let last = mail
            .iter()
            .find(|m| m.text_body().contains("firmware"))
            .expect("the mail about the solution");
        assert!(
            last.subject().contains("Streaks on every page"),
            "{}",
            last.subject()
        );
        assert!(last.text_body().contains("Solved"), "{}", last.text_body());
        assert!(last.text_body().contains("Fixed in firmware 3.2."));
        assert!(last.header("List-Unsubscribe").is_some());
    }
    let (_, topic) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{problem}"),
        Value::Null,
    );
    assert_eq!(topic["status"], "solved");
    assert!(topic["resolved_at"].is_string());
    let statuses: Vec<Value> = events(&app, None, problem)
        .iter()
        .map(|e| e["detail"]["to"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![json!("acknowledged"), json!("in_progress"), json!("solved")]
    );

    let praise = post_topic(
        &app,
        &co.asker,
        "acme",
        "praise",
        "Best printer we ever had",
    );
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{praise}/status"),
        json!({ "status": "solved" }),
    );
    assert_eq!(status, 422, "praise has no statuses but open and closed");
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{praise}/status"),
        json!({ "status": "closed" }),
    );
    assert_eq!(status, 200);
}

#[test]
fn concurrent_status_changes_each_keep_their_event() {
    let app = TestApp::start();
    let co = company(&app);
    let idea = post_topic(&app, &co.asker, "acme", "idea", "Print from the phone");
    let steps = ["under_consideration", "planned", "implemented", "open"];
    std::thread::scope(|scope| {
        for who in [&co.staff, &co.admin] {
            let app = &app;
            scope.spawn(move || {
                for round in 0..10 {
                    let status = steps[(round + who.username.len()) % steps.len()];
                    let (code, body) = app.as_member(
                        who,
                        "POST",
                        &format!("/api/v1/topics/{idea}/status"),
                        json!({ "status": status, "note": format!("{} {round}", who.username) }),
                    );
                    assert_eq!(code, 200, "{body}");
                }
            });
        }
    });
    let timeline = events(&app, Some(&co.staff), idea);
    assert_eq!(
        timeline.len(),
        20,
        "every change has its event: {timeline:#?}"
    );
    let mut previous = json!("open");
    for event in &timeline {
        assert_eq!(
            event["detail"]["from"], previous,
            "changes interleaved: {timeline:#?}"
        );
        previous = event["detail"]["to"].clone();
    }
    let (_, topic) = app.as_member(
        &co.staff,
        "GET",
        &format!("/api/v1/topics/{idea}"),
        Value::Null,
    );
    assert_eq!(topic["status"], previous);
}

#[test]
fn internal_notes_and_staff_events_never_reach_customers() {
    let app = TestApp::start();
    let co = company(&app);
    let secret = "SECRET-NOTE-7f3a refund approved by finance";
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/notes", co.topic),
        json!({ "body": format!("{secret} @boss please check") }),
    );
    assert_eq!(status, 201);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/assign", co.topic),
        json!({ "user_id": co.admin.id }),
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/status", co.topic),
        json!({ "status": "answered", "note": "Answered in the manual, page 4." }),
    );
    assert_eq!(status, 200);

    // the mentioned colleague and the assignee hear of it by mail; customers never
    let boss_mail = app
        .smtp
        .wait_for(&co.admin.email, 3, Duration::from_secs(20));
    assert!(
        boss_mail
            .iter()
            .any(|m| m.text_body().contains("SECRET-NOTE-7f3a"))
    );
    let asker_mail = app
        .smtp
        .wait_for(&co.asker.email, 2, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    for m in app.smtp.messages() {
        let to_staff = m
            .rcpt_to
            .iter()
            .any(|r| r.starts_with("boss@") || r.starts_with("sam@"));
        if !to_staff {
            assert!(
                !m.text_body().contains("SECRET-NOTE"),
                "a note went out by mail to {:?}",
                m.rcpt_to
            );
            assert!(!m.html_body().unwrap_or_default().contains("SECRET-NOTE"));
        }
    }
    assert!(asker_mail.iter().any(|m| m.text_body().contains("page 4")));

    let topic_page = format!("/brands/acme/topics/{}", co.topic);
    let staff_page = signed_in(&app, "sam").get(&topic_page);
    assert!(
        staff_page.body.contains("SECRET-NOTE-7f3a"),
        "staff see their notes"
    );
    for (who, client) in [
        ("visitor", app.client()),
        ("asker", signed_in(&app, "ana")),
        ("other brand's staff", signed_in(&app, "olga")),
    ] {
        for path in [
            topic_page.clone(),
            format!("{topic_page}/feed.atom"),
            "/brands/acme/feed.atom".to_string(),
            format!("/api/v1/topics/{}", co.topic),
            format!("/api/v1/topics/{}/events", co.topic),
            "/brands/acme".to_string(),
        ] {
            let answer = client.get(&path);
            assert!(
                !answer.body.contains("SECRET-NOTE") && !answer.body.contains("please check"),
                "{who} sees a note at {path}"
            );
            assert!(
                !answer.body.contains("\"note_id\""),
                "{who} sees a note event at {path}"
            );
        }
    }
    for who in [None, Some(&co.asker), Some(&co.other_staff)] {
        let kinds: Vec<Value> = events(&app, who, co.topic)
            .iter()
            .map(|e| e["kind"].clone())
            .collect();
        assert_eq!(
            kinds,
            vec![json!("status")],
            "{who:?} sees only public events"
        );
    }
    let (status, _) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}/notes", co.topic),
        Value::Null,
    );
    assert_eq!(status, 403);
    let staff_kinds: Vec<Value> = events(&app, Some(&co.staff), co.topic)
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        staff_kinds,
        vec![json!("note"), json!("assigned"), json!("status")]
    );
}

#[test]
fn official_answers_locks_merges_and_bans() {
    let app = TestApp::start();
    let co = company(&app);
    let (status, reply) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{}/replies", co.topic),
        json!({ "body": "Update the driver to 2.1.", "official_answer": true }),
    );
    assert_eq!((status, &reply["official"]), (201, &json!(true)), "{reply}");
    let (_, topic) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}", co.topic),
        Value::Null,
    );
    assert_eq!(topic["official_reply_id"], reply["id"]);
    let page = app
        .client()
        .get(&format!("/brands/acme/topics/{}", co.topic));
    assert!(page.body.contains("Official answer from Acme"));

    // the official badge is fixed when posted: it stays after the author leaves the staff
    let (status, _) = app.as_member(
        &co.admin,
        "DELETE",
        &format!("/api/v1/brands/acme/staff/{}", co.staff.id),
        Value::Null,
    );
    assert_eq!(status, 204);
    let (_, topic) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}", co.topic),
        Value::Null,
    );
    let staff_reply = topic["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .find(|r| r["id"] == reply["id"])
        .cloned();
    assert_eq!(staff_reply.expect("reply")["official"], true);

    // locked: customers cannot reply, staff can
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/lock", co.topic),
        json!({ "locked": true }),
    );
    assert_eq!(status, 200);
    let reply_as = |who: &common::Member| {
        app.as_member(
            who,
            "POST",
            &format!("/api/v1/topics/{}/replies", co.topic),
            json!({ "body": "Any news?" }),
        )
        .0
    };
    assert_eq!(reply_as(&co.member), 409);
    assert_eq!(reply_as(&co.admin), 201);

    // merge: me-toos and followers move over; the duplicate redirects
    let duplicate = post_topic(
        &app,
        &co.member,
        "acme",
        "question",
        "Printer does not print",
    );
    let (status, _) = app.as_member(
        &co.other_staff,
        "POST",
        &format!("/api/v1/topics/{duplicate}/me-too"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{duplicate}/merge"),
        json!({ "into": co.topic }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["me_too_count"], 2,
        "the duplicate's author and its me-too join the original"
    );
    let answer = app
        .client()
        .get(&format!("/brands/acme/topics/{duplicate}"));
    assert_eq!(answer.status, 301);
    assert!(
        answer
            .header("location")
            .expect("location")
            .contains(&format!("/topics/{}", co.topic))
    );
    let answer = app.client().get(&format!("/api/v1/topics/{duplicate}"));
    assert_eq!(
        (answer.status, answer.header("location")),
        (301, Some(format!("/api/v1/topics/{}", co.topic).as_str()))
    );
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{}/merge", co.topic),
        json!({ "into": 999_999 }),
    );
    assert_eq!(status, 422);

    // a ban ends the member's sessions at once and can hide every post they wrote
    let (status, _) = app.as_member(
        &co.site_admin,
        "POST",
        "/api/v1/admin/users/mia/ban",
        json!({ "hide_posts": true }),
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(&co.member, "GET", "/api/v1/me", Value::Null);
    assert_eq!(status, 401, "the banned member's token stopped working");
    let (status, body) = app.client().post_json(
        "/api/v1/tokens",
        &json!({ "login": "mia", "password": common::PASSWORD }),
    );
    assert_eq!(
        (status, &body["errors"][0]["code"]),
        (422, &json!("account_banned"))
    );
    let (_, topic) = app.as_member(
        &co.asker,
        "GET",
        &format!("/api/v1/topics/{}", co.topic),
        Value::Null,
    );
    assert!(
        topic["replies"]
            .as_array()
            .expect("replies")
            .iter()
            .all(|r| r["id"] != co.reply),
        "the banned member's reply is hidden"
    );
    let (status, _) = app.as_member(
        &co.site_admin,
        "POST",
        "/api/v1/admin/users/root/ban",
        json!({}),
    );
    assert_eq!(status, 409, "site admins cannot be banned");
}

#[test]
fn the_queue_shows_views_waiting_time_and_takes_bulk_changes() {
    let app = TestApp::start();
    let co = company(&app);
    let problem = post_topic(
        &app,
        &co.member,
        "acme",
        "problem",
        "Wi-Fi drops every hour",
    );
    let queue = |view: &str| -> Vec<i64> {
        let (status, body) = app.as_member(
            &co.staff,
            "GET",
            &format!("/api/v1/brands/acme/queue?view={view}"),
            Value::Null,
        );
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        queue("unanswered"),
        vec![problem],
        "the question has a member's reply"
    );
    assert_eq!(
        queue("no_staff_reply"),
        vec![co.topic, problem],
        "longest waiting first"
    );
    assert!(queue("mine").is_empty());
    assert!(queue("overdue").is_empty(), "no target, nothing overdue");
    let (status, _) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/queue?view=bogus",
        Value::Null,
    );
    assert_eq!(status, 422);

    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{problem}/assign"),
        json!({ "user_id": co.staff.id }),
    );
    assert_eq!(status, 200, "take it");
    assert_eq!(queue("mine"), vec![problem]);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{problem}/assign"),
        json!({ "user_id": co.member.id }),
    );
    assert_eq!(status, 422, "only the brand's staff can be assignees");

    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/queue/bulk",
        json!({ "topic_ids": [co.topic, problem], "assignee": co.staff.id }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(queue("mine"), vec![co.topic, problem]);
    // all or nothing: a status one of them cannot have changes neither
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/queue/bulk",
        json!({ "topic_ids": [co.topic, problem], "status": "solved" }),
    );
    assert_eq!(status, 422);
    let (_, topic) = app.as_member(
        &co.admin,
        "GET",
        &format!("/api/v1/topics/{problem}"),
        Value::Null,
    );
    assert_eq!(topic["status"], "open");
    let (status, _) = app.as_member(
        &co.admin,
        "POST",
        "/api/v1/brands/acme/queue/bulk",
        json!({ "topic_ids": [co.topic, problem], "status": "closed" }),
    );
    assert_eq!(status, 200);
    assert!(queue("all").is_empty(), "closed topics leave the queue");
    let mail = app
        .smtp
        .wait_for(&co.staff.email, 2, Duration::from_secs(20));
    let assigned: Vec<_> = mail
        .iter()
        .filter(|m| m.subject().contains("Assigned to you"))
        .collect();
    assert_eq!(
        assigned.len(),
        1,
        "the assignee hears of what others gave them, once"
    );
    assert!(
        assigned[0]
            .subject()
            .contains("The printer stopped printing")
    );

    // the page lists the same, with the waiting time
    let other = post_topic(&app, &co.member, "acme", "question", "Toner in Japan");
    let page = signed_in(&app, "sam").get("/brands/acme/queue?view=all");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Toner in Japan") && page.body.contains(&format!("value=\"{other}\""))
    );
    let (status, _) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/settings",
        json!({ "first_response_minutes": 0 }),
    );
    assert_eq!(status, 422);
    let (status, _) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/settings",
        json!({ "first_response_minutes": 1 }),
    );
    assert_eq!(status, 200);
}

#[test]
fn flags_reach_the_moderators_and_hidden_posts_can_be_restored() {
    let app = TestApp::start();
    let co = company(&app);
    let (status, _) = app.as_member(
        &co.asker,
        "POST",
        &format!("/api/v1/topics/{}/flags", co.topic),
        json!({ "reason": "spam", "reply_id": co.reply, "note": "Selling toner" }),
    );
    assert_eq!(status, 201);
    let (status, body) = app.as_member(
        &co.asker,
        "POST",
        &format!("/api/v1/topics/{}/flags", co.topic),
        json!({ "reason": "because" }),
    );
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (422, &json!("reason"))
    );
    let (_, flags) = app.as_member(&co.staff, "GET", "/api/v1/brands/acme/flags", Value::Null);
    assert_eq!(flags["items"].as_array().expect("items").len(), 1);
    assert_eq!(flags["items"][0]["note"], "Selling toner");
    let (_, other) = app.as_member(
        &co.other_staff,
        "GET",
        "/api/v1/brands/other/flags",
        Value::Null,
    );
    assert_eq!(other["items"], json!([]), "flags stay with their brand");

    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/replies/{}/hide", co.reply),
        Value::Null,
    );
    assert_eq!(status, 200);
    let (_, flags) = app.as_member(&co.staff, "GET", "/api/v1/brands/acme/flags", Value::Null);
    assert_eq!(
        flags["items"],
        json!([]),
        "hiding the post closes its flags"
    );
    let topic_path = format!("/api/v1/topics/{}", co.topic);
    let (_, topic) = app.as_member(&co.asker, "GET", &topic_path, Value::Null);
    assert_eq!(
        (
            topic["reply_count"].as_i64(),
            topic["replies"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );

    let staff = signed_in(&app, "sam");
    let page = staff.get("/brands/acme/moderation");
    assert!(
        page.body.contains("Try turning it off"),
        "the hidden reply is listed to restore"
    );
    let answer = staff.post_form(
        &format!("/brands/acme/topics/{}/hide", co.topic),
        &page.csrf_token(),
        &[("on", "0"), ("reply_id", &co.reply.to_string())],
    );
    assert_eq!(answer.status, 303);
    let (_, topic) = app.as_member(&co.asker, "GET", &topic_path, Value::Null);
    assert_eq!(topic["reply_count"], 1);
    let (_, events) = app.as_member(
        &co.staff,
        "GET",
        &format!("{topic_path}/events"),
        Value::Null,
    );
    let kinds: Vec<Value> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("hidden"), json!("restored")]);
}

#[test]
fn the_queue_and_rules_pages_take_forms_with_repeated_fields() {
    let app = TestApp::start();
    let co = company(&app);
    let other = post_topic(
        &app,
        &co.member,
        "acme",
        "problem",
        "Wi-Fi drops every hour",
    );
    let staff = signed_in(&app, "boss");
    let page = staff.get("/brands/acme/queue?view=all");
    let (one, two) = (co.topic.to_string(), other.to_string());
    let answer = staff.post_form(
        "/brands/acme/queue",
        &page.csrf_token(),
        &[
            ("topic_ids", &one),
            ("topic_ids", &two),
            ("assignee", &co.staff.id.to_string()),
            ("view", "all"),
        ],
    );
    assert_eq!(answer.status, 303);
    let (_, mine) = app.as_member(
        &co.staff,
        "GET",
        "/api/v1/brands/acme/queue?view=mine",
        Value::Null,
    );
    assert_eq!(mine["total"], 2);
    let forged = staff.post_form("/brands/acme/queue", "forged", &[("topic_ids", &one)]);
    assert_eq!(forged.status, 403);

    let page = staff.get("/brands/acme/team");
    let answer = staff.post_form(
        "/brands/acme/team/rules",
        &page.csrf_token(),
        &[
            ("unanswered_minutes", "30"),
            ("acknowledge_minutes", "15"),
            ("recipients", &co.staff.id.to_string()),
            ("recipients", &co.admin.id.to_string()),
        ],
    );
    assert_eq!(answer.status, 303);
    let (_, rules) = app.as_member(
        &co.admin,
        "GET",
        "/api/v1/brands/acme/escalation-rules",
        Value::Null,
    );
    assert_eq!(rules["unanswered_minutes"], 30);
    assert_eq!(rules["recipients"].as_array().map(Vec::len), Some(2));
}
