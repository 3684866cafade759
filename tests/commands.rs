//! The binary's commands and start-up: settings checks, migrate, create-admin, SIGTERM.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{PASSWORD, TestApp};
use serde_json::json;

fn kotae(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
        command.env_remove(key);
    }
    command.args(args).envs(env.iter().copied());
    command
}

#[test]
fn a_bad_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("path");
    for (key, value, expect) in [
        ("KOTAE_RATE_LIMITS", "maybe", "on or off"),
        ("KOTAE_BIND", "localhost", "address and port"),
        ("KOTAE_SMTP_URL", "http://mail", "smtp://"),
        ("KOTAE_WORKERS", "0", "1 to 256"),
        ("KOTAE_SECRET_KEY", "short", "32 characters"),
        ("KOTAE_BINDD", "x", "unknown setting"),
    ] {
        let output = kotae(&["serve"], &[("KOTAE_DATA_DIR", data), (key, value)])
            .output()
            .expect("run kotae");
        assert_eq!(output.status.code(), Some(2), "{key}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(key) && stderr.contains(expect),
            "{key}={value}: {stderr}"
        );
    }
    let config = dir.path().join("kotae.toml");
    std::fs::write(&config, "bind = \"127.0.0.1:0\"\nworkerz = 2\n").expect("write config");
    let output = kotae(
        &["--config", config.to_str().expect("path"), "migrate"],
        &[("KOTAE_DATA_DIR", data)],
    )
    .output()
    .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("workerz"));
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let app = TestApp::start();
    let mut child = kotae(
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
        ],
        &[
            (
                "KOTAE_DATA_DIR",
                app.data_dir.path().to_str().expect("path"),
            ),
            ("KOTAE_DATABASE_URL", &app.database_url),
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run create-admin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write password");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let client = app.client();
    let (status, body) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "root", "password": PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    let (_, me) = client.get_as("/api/v1/me", body["token"].as_str().expect("token"));
    assert_eq!(me["site_admin"], true);
    assert_eq!(me["email_verified"], true);
}

#[test]
fn migrate_applies_the_schema_and_is_repeatable() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("path");
    let database = std::env::var("KOTAE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if database.is_some() {
        return; // the PostgreSQL run migrates a fresh database in every TestApp already
    }
    for _ in 0..2 {
        let output = kotae(&["migrate"], &[("KOTAE_DATA_DIR", data)])
            .output()
            .expect("run migrate");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(dir.path().join("kotae.db").exists());
}

#[test]
fn sigterm_finishes_requests_in_flight_and_keeps_what_it_acknowledged() {
    let mut app = TestApp::start();
    let base = app.base.clone();
    // once a worker has answered, new connections are accepted at once: requests sent now
    // are in flight, not waiting in the kernel's backlog
    assert_eq!(app.client().get("/healthz").status, 200);
    let requests: Vec<_> = (0..6)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let client = common::Client::new(&base);
                let body = json!({ "username": format!("inflight{i}"), "email": format!("inflight{i}@example.com"), "password": PASSWORD });
                // a request the server refused to accept panics in the client: not answered
                client.post_json("/api/v1/accounts", &body).0
            })
        })
        .collect();
    // long enough for all six to connect on a busy machine (30 ms was not, under a parallel
    // test run), short enough that several hashes are still running at SIGTERM
    std::thread::sleep(std::time::Duration::from_millis(150));
    let status = app.terminate();
    assert!(
        status.success(),
        "kotae exits cleanly on SIGTERM: {status:?}"
    );
    let answered: Vec<(usize, u16)> = requests
        .into_iter()
        .enumerate()
        .filter_map(|(i, t)| t.join().ok().map(|s| (i, s)))
        .collect();
    assert_eq!(
        answered.len(),
        6,
        "every request sent before SIGTERM was answered: {answered:?}"
    );
    assert!(
        answered.iter().all(|(_, s)| *s == 201),
        "no request was cut off: {answered:?}"
    );

    app.restart();
    for (i, _) in answered {
        let (status, _) = app.client().post_json(
            "/api/v1/tokens",
            &json!({ "login": format!("inflight{i}"), "password": PASSWORD }),
        );
        assert_eq!(status, 201, "account {i} was acknowledged, so it exists");
    }
}

#[test]
fn demo_loads_a_living_community_once() {
    let app = TestApp::start();
    let env = [
        (
            "KOTAE_DATA_DIR",
            app.data_dir.path().to_str().expect("path"),
        ),
        ("KOTAE_DATABASE_URL", app.database_url.as_str()),
    ];
    for _ in 0..2 {
        let output = kotae(&["demo"], &env).output().expect("run demo");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains(kotae::demo::PASSWORD));
    }
    let client = app.client();
    assert_eq!(
        client.get("/api/v1/brands").json()["total"],
        3,
        "loaded once"
    );
    let japanese = client.get("/api/v1/brands/sakura-camera/topics").json();
    assert_eq!(japanese["total"], 3);
    let answered = client
        .get("/api/v1/brands/acme-printers/topics?status=answered")
        .json();
    assert_eq!(answered["total"], 1);
    let (status, _) = client.post_json(
        "/api/v1/tokens",
        &json!({ "login": "aiko", "password": kotae::demo::PASSWORD }),
    );
    assert_eq!(status, 201);
    assert_eq!(client.get("/brands/sakura-camera").status, 200);
}

#[test]
fn demo_generates_a_large_community_whose_counts_agree_and_the_site_serves_it() {
    let mut app = TestApp::start();
    app.kill(); // the generator rebuilds the search index, which the server holds open
    let env = [
        (
            "KOTAE_DATA_DIR",
            app.data_dir.path().to_str().expect("path"),
        ),
        ("KOTAE_DATABASE_URL", app.database_url.as_str()),
    ];
    let args = ["demo", "--topics", "400", "--brands", "4", "--replies", "5"];
    let output = kotae(&args, &env).output().expect("run demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("400 topics"), "{stdout}");
    app.restart();

    use diesel::dsl::sum;
    use diesel::prelude::*;
    use kotae::db::schema::{helpful_votes, me_toos, replies, topics, users};
    let mut c = app.db();
    let count = |c: &mut kotae::db::DbConn, table: &str| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(c)
            .expect("count")
            .n
    };
    assert_eq!(
        count(&mut c, "topics"),
        8 + 400,
        "the small demo and the generated topics"
    );
    // the kept counters agree with the rows they count
    let reply_counts: Option<i64> = topics::table
        .select(sum(topics::reply_count))
        .first(&mut c)
        .expect("reply counts");
    assert_eq!(
        reply_counts,
        Some(replies::table.count().get_result(&mut c).expect("replies"))
    );
    let me_too_counts: Option<i64> = topics::table
        .select(sum(topics::me_too_count))
        .first(&mut c)
        .expect("me-too counts");
    assert_eq!(
        me_too_counts,
        Some(me_toos::table.count().get_result(&mut c).expect("me-toos"))
    );
    let received: Option<i64> = users::table
        .select(sum(users::helpful_received))
        .first(&mut c)
        .expect("helpful received");
    assert_eq!(
        received,
        Some(
            helpful_votes::table
                .count()
                .get_result(&mut c)
                .expect("votes")
        )
    );

    // the site serves it: brands, search over the generated text, a brand's insights
    let client = app.client();
    assert_eq!(client.get("/api/v1/brands").json()["total"], 7);
    // the small demo's topics, indexed before the generation, and the last generated one
    for newest in [false, true] {
        let titles = topics::table.select(topics::title);
        let title: String = if newest {
            titles.order(topics::id.desc()).first(&mut c)
        } else {
            titles.order(topics::id).first(&mut c)
        }
        .expect("a title");
        let found = client.get(&format!("/api/v1/search?q={}", url_words(&title)));
        assert_eq!(found.status, 200);
        assert!(
            found.json()["total"].as_i64().unwrap_or(0) >= 1,
            "{title}: {}",
            found.body
        );
    }
    let brand: String = kotae::db::schema::brands::table
        .order(kotae::db::schema::brands::id.desc())
        .select(kotae::db::schema::brands::slug)
        .first(&mut c)
        .expect("a generated brand");
    let web = common::staff::signed_in_with(&app, "dana", kotae::demo::PASSWORD);
    let page = web.get(&format!("/brands/{brand}/insights?days=90"));
    assert_eq!(page.status, 200, "{}", page.body);
}

/// The title's words, as a query string value.
fn url_words(title: &str) -> String {
    url::form_urlencoded::byte_serialize(title.as_bytes()).collect()
}

/// `kotae backup` copies the database while the server takes replies. The copy, restored into
/// a fresh data directory and reindexed, serves every reply acknowledged before the backup
/// began, and search finds the topic. On PostgreSQL the command points to pg_dump.
#[test]
fn a_backup_taken_while_serving_restores_every_post() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let app = TestApp::start();
    let saved = tempfile::tempdir().expect("backup dir");
    let file = saved.path().join("kotae-backup.db");
    let file_arg = file.to_str().expect("path");
    let data_dir = app.data_dir.path().to_str().expect("path").to_string();
    let env = [
        ("KOTAE_DATA_DIR", data_dir.as_str()),
        ("KOTAE_DATABASE_URL", app.database_url.as_str()),
    ];
    if app.database_url.starts_with("postgres") {
        let out = kotae(&["backup", file_arg], &env).output().expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let asker = app.member("ann");
    common::staff::create_brand(&app, &asker, "Backup", "backup", None);
    let topic =
        common::staff::post_topic(&app, &asker, "backup", "question", "Zephyr toner smudges");

    // replies keep coming, acknowledged one by one, while the backup runs
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (base, token) = (app.base.clone(), asker.token.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        std::thread::spawn(move || {
            let client = common::Client::new(&base);
            let auth = format!("Bearer {token}");
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let (status, body) = client.send_json(
                    "POST",
                    &format!("/api/v1/topics/{topic}/replies"),
                    &json!({ "body": format!("Reply number {n}: wipe the drum.") }),
                    &[("authorization", auth.as_str())],
                );
                assert_eq!(status, 201, "{body}");
                acknowledged
                    .lock()
                    .unwrap()
                    .push(body["id"].as_i64().expect("id"));
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let out = kotae(&["backup", file_arg], &env).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("secret.key"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer");
    let again = kotae(&["backup", file_arg], &env).output().expect("run");
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    // restore: the copy and the key into a fresh data directory, the index rebuilt
    let restored = tempfile::tempdir().expect("restore dir");
    std::fs::copy(&file, restored.path().join("kotae.db")).expect("copy the backup");
    std::fs::copy(
        app.data_dir.path().join("secret.key"),
        restored.path().join("secret.key"),
    )
    .expect("copy the key");
    let restored_dir = restored.path().to_str().expect("path").to_string();
    let restored_db = format!("{restored_dir}/kotae.db");
    let env = [
        ("KOTAE_DATA_DIR", restored_dir.as_str()),
        ("KOTAE_DATABASE_URL", restored_db.as_str()),
        ("KOTAE_BIND", "127.0.0.1:0"),
        ("KOTAE_RATE_LIMITS", "off"),
    ];
    let out = kotae(&["reindex"], &env).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut server, base) = common::spawn_server(kotae(&["serve"], &env));
    let client = common::Client::new(&base);
    let page = client.get(&format!("/api/v1/topics/{topic}")).json();
    let ids: Vec<i64> = page["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    let search = client.get("/api/v1/search?q=zephyr").json();
    let _ = server.kill();
    let total = acknowledged.lock().unwrap().len();
    let missing: Vec<_> = before.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    assert!(
        ids.len() <= total,
        "nothing appears that was never acknowledged"
    );
    assert_eq!(search["items"][0]["topic_id"], json!(topic), "{search}");
}

/// `kotae copy-to` moves a SQLite installation into an empty PostgreSQL database: refused
/// while the server runs, an interrupted copy leaves nothing and runs again, counts agree, a
/// second run refuses, and a server on the copy serves it: old tokens, search in English and
/// Japanese, a topic merged into a newer one, and new posts. (It runs in the PostgreSQL pass.)
#[test]
fn copy_to_moves_a_sqlite_installation_into_postgresql() {
    use diesel::connection::SimpleConnection as _;
    use diesel::prelude::*;
    let Some(target) = common::PgDatabase::create() else {
        eprintln!("copy-to needs PostgreSQL: it runs with KOTAE_TEST_DATABASE_URL set");
        return;
    };
    let mut app = TestApp::start_with(common::Options {
        sqlite: true,
        ..common::Options::default()
    });
    app.load_demo();
    let co = common::staff::company(&app);
    let owner = &co.asker;
    let older = common::staff::post_topic(&app, owner, "acme", "problem", "Toner smudges");
    let newer = common::staff::post_topic(&app, owner, "acme", "problem", "自動ドアの感度が悪い");
    let (status, body) = app.as_member(
        &co.admin,
        "POST",
        &format!("/api/v1/topics/{older}/merge"),
        json!({ "into": newer }),
    );
    assert_eq!(status, 200, "{body}");

    let data_dir = app.data_dir.path().to_str().expect("path").to_string();
    let source_url = app.database_url.clone();
    let env = [
        ("KOTAE_DATA_DIR", data_dir.as_str()),
        ("KOTAE_DATABASE_URL", source_url.as_str()),
    ];
    let copy_to = || kotae(&["copy-to", &target.url], &env);
    let out = copy_to().output().expect("run");
    assert!(!out.status.success(), "refused while the server runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop the server"));
    app.kill();

    // interrupted: killed while PostgreSQL holds it at the topics
    let migrate = kotae(&["migrate"], &[("KOTAE_DATABASE_URL", &target.url)])
        .output()
        .expect("run");
    assert!(migrate.status.success());
    let mut holder = diesel::PgConnection::establish(&target.url).expect("connect");
    holder
        .batch_execute("BEGIN; LOCK TABLE topics IN SHARE MODE")
        .expect("lock");
    let mut first = copy_to().stdout(Stdio::piped()).spawn().expect("run");
    let lines = std::io::BufRead::lines(std::io::BufReader::new(first.stdout.take().unwrap()));
    let mut seen = vec![];
    for line in lines.map_while(Result::ok) {
        seen.push(line);
        if seen.last().is_some_and(|l| l == "copying topics") {
            break;
        }
    }
    assert!(seen.len() > 2, "tables before topics: {seen:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    first.kill().expect("kill");
    first.wait().expect("wait");
    drop(holder);

    let out = copy_to().output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("every table's count agrees"), "{stdout}");
    assert!(stdout.contains("KOTAE_DATABASE_URL="), "{stdout}");
    let again = copy_to().output().expect("run");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds data already"));

    let mut sqlite = app.db();
    let mut pg = kotae::db::connect(&target.url).expect("connect");
    for table in [
        "users",
        "sessions",
        "topics",
        "replies",
        "search_changes",
        "topic_events",
    ] {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let here = diesel::sql_query(&sql)
            .get_result::<N>(&mut sqlite)
            .expect("count");
        let there = diesel::sql_query(&sql)
            .get_result::<N>(&mut pg)
            .expect("count");
        assert!(here.n > 0, "{table} has rows to copy");
        assert_eq!(here.n, there.n, "{table}");
    }
    use kotae::db::schema::topics;
    let merged: Option<i64> = topics::table
        .find(older)
        .select(topics::duplicate_of)
        .first::<Option<kotae::model::TopicId>>(&mut pg)
        .expect("older topic")
        .map(|t| t.0);
    assert_eq!(merged, Some(newer), "a reference to a later row survives");

    let pg_env = [
        ("KOTAE_DATA_DIR", data_dir.as_str()),
        ("KOTAE_DATABASE_URL", target.url.as_str()),
        ("KOTAE_BIND", "127.0.0.1:0"),
        ("KOTAE_RATE_LIMITS", "off"),
    ];
    let (server, base) = common::spawn_server(kotae(&["serve"], &pg_env));
    let _server = Stopped(server);
    let client = common::Client::new(&base);
    let (status, me) = client.get_as("/api/v1/me", &owner.token);
    assert_eq!(status, 200, "a token made on SQLite works: {me}");
    let found = |query: &str| -> Vec<i64> {
        let answer = client.get(&format!("/api/v1/search?q={}", url_words(query)));
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        let items = answer.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .filter_map(|i| i["topic_id"].as_i64())
            .collect()
    };
    assert!(
        found("感度").contains(&newer),
        "the index was rebuilt from the copy"
    );
    assert!(
        found("toner").is_empty(),
        "the merged topic stays out of search"
    );
    let auth = format!("Bearer {}", owner.token);
    let (status, body) = client.send_json(
        "POST",
        "/api/v1/brands/acme/topics",
        &json!({ "kind": "question", "title": "Posted after the move", "body": "It works." }),
        &[("authorization", auth.as_str())],
    );
    assert_eq!(status, 201, "new rows take new ids: {body}");
    let id = body["id"].as_i64().expect("id");
    assert!(id > newer);
    let waited = std::time::Instant::now();
    while !found("posted after the move").contains(&id) {
        assert!(
            waited.elapsed().as_secs() < 10,
            "a new topic becomes searchable"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A server process that is killed when this drops, also when an assertion fails.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// KOTAE_LOG_FORMAT=json: every line the server writes is one JSON object, and a request's
/// line carries its method, path, status and the id sent back in X-Request-Id.
#[test]
fn json_logs_are_one_object_per_line_with_the_request_id() {
    let data = tempfile::tempdir().expect("dir");
    let data_dir = data.path().to_str().expect("path");
    let database = format!("{data_dir}/kotae.db");
    let env = [
        ("KOTAE_DATA_DIR", data_dir),
        ("KOTAE_DATABASE_URL", database.as_str()),
        ("KOTAE_BIND", "127.0.0.1:0"),
        ("KOTAE_LOG_FORMAT", "json"),
        ("KOTAE_LOG", "info"),
    ];
    let mut child = kotae(&["serve"], &env)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start");
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let _server = Stopped(child);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(stdout).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a log line");
        let object: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        object
    };
    let base = loop {
        let line = next();
        let message = line["fields"]["message"].as_str().unwrap_or_default();
        if let Some(rest) = message.split("listening on ").nth(1) {
            break rest.split_whitespace().next().expect("address").to_string();
        }
    };
    let answer = common::Client::new(&base).get("/no-such-page");
    assert_eq!(answer.status, 404);
    let id = answer
        .header("x-request-id")
        .expect("request id")
        .to_string();
    loop {
        let line = next();
        if line["fields"]["path"] == "/no-such-page" {
            assert_eq!(line["fields"]["status"], 404, "{line}");
            assert_eq!(line["fields"]["method"], "GET", "{line}");
            assert_eq!(line["span"]["id"], id.as_str(), "{line}");
            assert_eq!(line["level"], "INFO", "{line}");
            break;
        }
    }
}
