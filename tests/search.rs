//! Search over a real tantivy index on disk: Japanese and English, freshness, durability
//! through SIGKILL, `kotae reindex`, hostile queries, and content that must never be found.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::staff::company;
use common::{Member, TestApp};
use serde_json::{Value, json};

fn search(app: &TestApp, query: &str) -> Value {
    let path = format!(
        "/api/v1/search?{}",
        serde_urlencoded::to_string([("q", query)]).expect("query")
    );
    let answer = app.client().get(&path);
    assert_eq!(answer.status, 200, "{query}: {}", answer.body);
    answer.json()
}

fn found_ids(app: &TestApp, query: &str) -> Vec<i64> {
    search(app, query)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["topic_id"].as_i64().expect("id"))
        .collect()
}

/// Waits until `query` finds `id`; returns how long it took.
fn wait_found(app: &TestApp, query: &str, id: i64) -> Duration {
    let started = Instant::now();
    loop {
        if found_ids(app, query).contains(&id) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{query} never found topic {id}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn post(app: &TestApp, who: &Member, title: &str, body: &str) -> i64 {
    let (status, topic) = app.as_member(
        who,
        "POST",
        "/api/v1/brands/acme/topics",
        json!({ "kind": "question", "title": title, "body": body }),
    );
    assert_eq!(status, 201, "{topic}");
    topic["id"].as_i64().expect("id")
}

/// (title, body, queries that must find it, queries that must not)
const CASES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "自動ドアの感度が悪い",
        "朝になると反応しません。",
        &["感度", "自動ドア", "ドア", "感度 悪い", "反応"],
        &["窓"],
    ),
    (
        "プリンターで両面印刷できない",
        "スマホのアプリから印刷すると片面になります。",
        &["両面印刷", "印刷", "スマホ", "片面"],
        &["スキャナー"],
    ),
    (
        "カメラの電池がすぐ切れる",
        "新しいバッテリーでも二時間しか持ちません。",
        &["電池", "バッテリー", "二時間"],
        &["充電器"],
    ),
    (
        "Wi-Fiにつながらない",
        "ルーターを再起動しても同じです。",
        &["ルーター", "再起動", "wi-fi"],
        &["有線"],
    ),
    (
        "アップデート後に画面が暗い",
        "明るさの設定が保存されない。",
        &["画面", "明るさ", "アップデート"],
        &["音量"],
    ),
    (
        "The sensors keep failing",
        "Both motion sensors failed after the update.",
        &["sensor fail", "sensors", "motion"],
        &["printer"],
    ),
    (
        "Paper jams on every second page",
        "The rear tray jams constantly.",
        &["paper jam", "jammed", "\"rear tray\""],
        &["\"tray rear\""],
    ),
    (
        "How do I print double-sided from my phone?",
        "Only single-sided is offered.",
        &["double sided", "printing phone", "single"],
        &["tablet"],
    ),
    (
        "Battery drains overnight",
        "Standby drains 40% by morning.",
        &["batteries draining", "standby", "overnight"],
        &["charger"],
    ),
    (
        "Café mode crashes the app",
        "Selecting café mode closes the application.",
        &["cafe", "café", "crash"],
        &["coffee"],
    ),
    (
        "LaserJet5の印刷が遅い",
        "Mixed-script text: 日本語とEnglish.",
        &["laserjet5", "遅い", "english", "日本語"],
        &["inkjet"],
    ),
];

#[test]
fn japanese_and_english_are_found_by_their_parts_and_forms() {
    let app = TestApp::start();
    let co = company(&app);
    let mut ids = vec![];
    for (title, body, _, _) in CASES {
        ids.push(post(&app, &co.asker, title, body));
    }
    wait_found(&app, "LaserJet5", *ids.last().expect("ids"));
    let mut checked = 0;
    let mut wrong = vec![];
    for ((title, _, hits, misses), id) in CASES.iter().zip(&ids) {
        for q in *hits {
            checked += 1;
            if !found_ids(&app, q).contains(id) {
                wrong.push(format!("{q:?} did not find {title:?}"));
            }
        }
        for q in *misses {
            checked += 1;
            if found_ids(&app, q).contains(id) {
                wrong.push(format!("{q:?} found {title:?}"));
            }
        }
    }
    assert!(checked >= 40, "{checked} cases");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // a single character finds Japanese text; exclusion and filters narrow
    assert!(found_ids(&app, "感").contains(&ids[0]));
    assert!(!found_ids(&app, "印刷 -スマホ").contains(&ids[1]));
    assert!(found_ids(&app, "印刷 -スマホ").contains(&ids[10]));
    assert!(found_ids(&app, "paper kind:question brand:acme").contains(&ids[6]));
    assert!(found_ids(&app, "paper brand:other").is_empty());
    let body = search(&app, "sensor fail");
    assert_eq!(
        body["items"][0]["title"], "The sensors keep failing",
        "the title weighs most"
    );
    assert!(
        body["items"][0]["snippet_html"]
            .as_str()
            .expect("snippet")
            .contains("<mark>")
    );
    assert_eq!(body["facets"]["brand"]["acme"], 1);
}

#[test]
fn facets_count_every_match_and_the_title_ranks_over_body_over_replies() {
    let app = TestApp::start();
    let co = company(&app);
    let topic = |brand: &str, kind: &str, title: &str, body: &str| {
        let (status, topic) = app.as_member(
            &co.asker,
            "POST",
            &format!("/api/v1/brands/{brand}/topics"),
            json!({ "kind": kind, "title": title, "body": body }),
        );
        assert_eq!(status, 201, "{topic}");
        topic["id"].as_i64().expect("id")
    };
    let in_reply = topic("acme", "question", "Lid will not close", "It sticks.");
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        &format!("/api/v1/topics/{in_reply}/replies"),
        json!({ "body": "Oil the hinge, it worked for me." }),
    );
    assert_eq!(status, 201);
    let in_body = topic("acme", "problem", "Lid creaks", "The hinge creaks loudly.");
    let in_title = topic("acme", "problem", "Hinge cracked", "Since Monday.");
    let elsewhere = topic("other", "idea", "A metal hinge", "Plastic ones break.");
    topic("acme", "question", "Paper jams", "No match here.");
    for next in ["acknowledged", "in_progress"] {
        let path = format!("/api/v1/topics/{in_title}/status");
        let (status, _) = app.as_member(&co.staff, "POST", &path, json!({ "status": next }));
        assert_eq!(status, 200);
    }
    wait_found(&app, "hinge status:in_progress", in_title);
    wait_found(&app, "hinge worked", in_reply);
    wait_found(&app, "metal", elsewhere);

    let body = search(&app, "hinge");
    assert_eq!(body["total"], 4, "{body}");
    assert_eq!(
        body["facets"],
        json!({
            "brand": { "acme": 3, "other": 1 },
            "kind": { "problem": 2, "question": 1, "idea": 1 },
            "status": { "open": 3, "in_progress": 1 },
        })
    );
    let order = found_ids(&app, "hinge");
    let at = |id: i64| order.iter().position(|&x| x == id).expect("found");
    assert!(at(in_title) < at(in_body), "title over body: {order:?}");
    assert!(at(elsewhere) < at(in_body), "title over body: {order:?}");
    assert!(at(in_body) < at(in_reply), "body over replies: {order:?}");
    // filters narrow the counts with the results
    let body = search(&app, "hinge kind:problem");
    assert_eq!(body["total"], 2);
    assert_eq!(body["facets"]["brand"], json!({ "acme": 2 }));
}

#[test]
fn hostile_queries_never_fail_and_answer_fast() {
    let app = TestApp::start();
    let co = company(&app);
    let id = post(
        &app,
        &co.asker,
        "Printer driver crashes",
        "Version 2.1 crashes on start.",
    );
    wait_found(&app, "driver", id);
    let long = "x".repeat(20_000);
    let many = "printer ".repeat(5_000);
    let nested = "(".repeat(5_000);
    let hostile = [
        "\"unbalanced",
        "\"\"",
        "\"",
        "((printer",
        "printer))",
        "brand:",
        "kind:",
        ":",
        "-",
        "--",
        "- - -",
        "*",
        "?",
        "~1",
        "printer^100",
        "title:printer",
        "a AND OR NOT",
        "\u{0}\u{1}\u{7f}",
        "\u{202e}reversed",
        "😀😀😀",
        "𠀋𠀋",
        "\\",
        "[to TO]",
        "{}",
        &long,
        &many,
        &nested,
        "brand:acme brand:acme brand:acme",
        "-\"\"",
        "\"-\"",
    ];
    for q in hostile {
        let path = format!(
            "/api/v1/search?{}",
            serde_urlencoded::to_string([("q", q)]).expect("query")
        );
        let started = Instant::now();
        let answer = app.client().get(&path);
        let took = started.elapsed();
        let shown: String = q.chars().take(30).collect();
        assert_eq!(answer.status, 200, "{shown:?}: {}", answer.body);
        assert!(took < Duration::from_millis(100), "{shown:?} took {took:?}");
    }
    let page = app.client().get("/search?q=%22unbalanced");
    assert_eq!(page.status, 200);
}

#[test]
fn hidden_topics_merged_duplicates_and_internal_notes_are_never_found() {
    let app = TestApp::start();
    let co = company(&app);
    let hidden = post(&app, &co.member, "Buy cheap toner here", "Spam spam spam.");
    let kept = post(
        &app,
        &co.asker,
        "Toner cartridge leaks",
        "Black toner everywhere.",
    );
    wait_found(&app, "toner", kept);
    assert!(found_ids(&app, "toner").contains(&hidden));
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{hidden}/hide"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let (status, _) = app.as_member(
        &co.staff,
        "POST",
        &format!("/api/v1/topics/{kept}/notes"),
        json!({ "body": "Refund approved zanzibarquux" }),
    );
    assert_eq!(status, 201);
    // the next indexed change lands after both
    let marker = post(&app, &co.asker, "Scanner marker topic", "Nothing more.");
    wait_found(&app, "scanner marker", marker);
    assert!(
        !found_ids(&app, "toner").contains(&hidden),
        "a hidden topic is found"
    );
    assert!(
        found_ids(&app, "zanzibarquux").is_empty(),
        "an internal note is found"
    );
    let (_, similar) = app.as_member(
        &co.asker,
        "GET",
        "/api/v1/brands/acme/similar?title=toner%20leaking",
        Value::Null,
    );
    let similar: Vec<i64> = similar["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["topic_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        similar,
        vec![kept],
        "similar topics: visible ones of this brand"
    );
}

#[test]
fn topics_are_found_within_a_second_and_survive_sigkill_and_reindex() {
    let mut app = TestApp::start();
    let co = company(&app);
    let mut slowest = Duration::ZERO;
    let mut ids = vec![];
    for i in 0..10 {
        let id = post(
            &app,
            &co.asker,
            &format!("Fresh topic number{i}"),
            "Quick to find.",
        );
        slowest = slowest.max(wait_found(&app, &format!("number{i}"), id));
        ids.push(id);
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a topic took {slowest:?} to be found"
    );

    // acknowledged writes, then SIGKILL before the indexer may have seen them
    for i in 10..20 {
        ids.push(post(
            &app,
            &co.asker,
            &format!("Fresh topic number{i}"),
            "Written just before the crash.",
        ));
    }
    app.kill();
    app.restart();
    for (i, id) in ids.iter().enumerate() {
        wait_found(&app, &format!("number{i}"), *id);
    }
    let queries = ["fresh", "topic", "crash", "quick", "printer", "number3"];
    // the same topics (equal scores may come in another order after a rebuild)
    let sorted = |q: &&str| {
        let mut ids = found_ids(&app, q);
        ids.sort();
        ids
    };
    let live: Vec<Vec<i64>> = queries.iter().map(sorted).collect();

    assert!(app.terminate().success());
    let mut reindex = Command::new(env!("CARGO_BIN_EXE_kotae"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
        reindex.env_remove(key);
    }
    let output = reindex
        .arg("reindex")
        .env("KOTAE_DATA_DIR", app.data_dir.path())
        .env("KOTAE_DATABASE_URL", &app.database_url)
        .output()
        .expect("kotae reindex");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("search index rebuilt"));
    app.restart();
    let sorted = |q: &&str| {
        let mut ids = found_ids(&app, q);
        ids.sort();
        ids
    };
    let rebuilt: Vec<Vec<i64>> = queries.iter().map(sorted).collect();
    assert_eq!(live, rebuilt, "reindex gives the live index's results");
}

#[test]
fn the_ask_page_shows_similar_topics_before_posting() {
    let app = TestApp::start();
    let co = company(&app);
    let id = post(
        &app,
        &co.asker,
        "Scanner shows error E42",
        "The scanner stops with E42.",
    );
    wait_found(&app, "e42", id);
    let client = common::staff::signed_in(&app, "mia");
    let answer = client.submit(
        "/brands/acme/ask",
        "/brands/acme/ask",
        &[
            ("kind", "problem"),
            ("title", "Error E42 on my scanner"),
            ("body", ""),
            ("step", "check"),
        ],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("Scanner shows error E42"),
        "the similar topic is shown"
    );
    assert!(
        answer.body.contains("value=\"Error E42 on my scanner\""),
        "the draft is kept"
    );
    let (_, similar) = app.as_member(
        &co.member,
        "GET",
        "/api/v1/brands/acme/similar?title=scanner%20error",
        Value::Null,
    );
    assert_eq!(similar["items"][0]["topic_id"], id);
    let (_, topics) = app.as_member(&co.member, "GET", "/api/v1/brands/acme/topics", Value::Null);
    assert_eq!(topics["total"], 2, "checking posted nothing");
}

#[test]
fn monitors_catch_new_topics_in_every_community_once() {
    let mut app = TestApp::start();
    let co = company(&app);
    let before = post(&app, &co.asker, "Toner leak from before", "Old news.");
    wait_found(&app, "toner", before);
    let (status, monitor) = app.as_member(
        &co.staff,
        "POST",
        "/api/v1/brands/acme/monitors",
        json!({ "query": "toner leak", "notify": "email" }),
    );
    assert_eq!(status, 201, "{monitor}");
    let (status, _) = app.as_member(
        &co.member,
        "POST",
        "/api/v1/brands/acme/monitors",
        json!({ "query": "toner" }),
    );
    assert_eq!(status, 403, "customers have no monitors");
    // a customer of another brand's community talks about it
    let (status, topic) = app.as_member(
        &co.member,
        "POST",
        "/api/v1/brands/other/topics",
        json!({ "kind": "problem", "title": "Acme toner leaks in my Other printer", "body": "Black everywhere." }),
    );
    assert_eq!(status, 201, "{topic}");
    let elsewhere = topic["id"].as_i64().expect("id");
    let unrelated = post(
        &app,
        &co.asker,
        "Paper tray squeaks",
        "It squeaks at every page.",
    );
    let mail = app
        .smtp
        .wait_for(&co.staff.email, 2, Duration::from_secs(10));
    let told: Vec<_> = mail
        .iter()
        .filter(|m| m.subject().contains("Monitor"))
        .collect();
    assert_eq!(
        told.len(),
        1,
        "{:?}",
        mail.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    assert!(told[0].subject().contains("Acme toner leaks"));
    // another change to the same topic is not a new match
    let (status, _) = app.as_member(
        &co.asker,
        "POST",
        &format!("/api/v1/topics/{elsewhere}/replies"),
        json!({ "body": "Same here, toner leak." }),
    );
    assert_eq!(status, 201);
    wait_found(&app, "same here", elsewhere);
    std::thread::sleep(Duration::from_millis(500));
    let path = format!("/api/v1/monitors/{}/matches", monitor["id"]);
    let (_, matches) = app.as_member(&co.staff, "GET", &path, Value::Null);
    let ids: Vec<i64> = matches["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["topic_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        ids,
        vec![elsewhere],
        "only new matching topics: {unrelated} and {before} are not"
    );
    let told = app
        .smtp
        .messages_to(&co.staff.email)
        .iter()
        .filter(|m| m.subject().contains("Monitor"))
        .count();
    assert_eq!(told, 1);
    let (status, _) = app.as_member(&co.other_staff, "GET", &path, Value::Null);
    assert_eq!(status, 403);
    let page = common::staff::signed_in(&app, "sam")
        .get(&format!("/brands/acme/monitors/{}", monitor["id"]));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Acme toner leaks in my Other printer"));

    // an upgrade that starts the index afresh replays the whole log: nobody hears again
    assert!(app.terminate().success());
    std::fs::remove_dir_all(app.data_dir.path().join("search")).expect("index removed");
    app.restart();
    wait_found(&app, "toner", before);
    wait_found(&app, "squeaks", unrelated);
    std::thread::sleep(Duration::from_millis(500));
    let (_, again) = app.as_member(&co.staff, "GET", &path, Value::Null);
    assert_eq!(again["items"].as_array().map(Vec::len), Some(1), "{again}");
    let told = app
        .smtp
        .messages_to(&co.staff.email)
        .iter()
        .filter(|m| m.subject().contains("Monitor"))
        .count();
    assert_eq!(told, 1);
}
