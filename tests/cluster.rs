//! Two `kotae serve` nodes on one PostgreSQL behind Debian's nginx, configured with
//! docs/deploy/nginx.conf: a bounded mixed load through the balancer (sign-ins, topics,
//! replies, me-toos that escalate, searches) keeps every acknowledged write, answers no 5xx,
//! mails each message once, and a post made through one node is found on the other within
//! 2 seconds. Then one node is killed with SIGKILL under load: nothing acknowledged is lost,
//! the other serves on, and the restarted node's index catches up. Also checks the systemd
//! unit of docs/deploy with `systemd-analyze verify`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::staff::{Company, company};
use common::{Client, Node, Options, TestApp};
use serde_json::{Value, json};

const NGINX: &str = "/usr/sbin/nginx";
const THREADS: usize = 4;

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// nginx in the foreground with the deployment guide's site, its upstreams our two nodes.
struct Balancer {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Balancer {
    fn start(first: &str, second: &str) -> Balancer {
        let dir = tempfile::tempdir().expect("nginx dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let site = std::fs::read_to_string(repo_file("docs/deploy/nginx.conf")).expect("site");
        for expected in [
            "server 127.0.0.1:8081",
            "server 127.0.0.1:8082",
            "listen 80;",
        ] {
            assert!(
                site.contains(expected),
                "the guide's nginx.conf has {expected}"
            );
        }
        let site = site
            .replace("server 127.0.0.1:8081", &format!("server {first}"))
            .replace("server 127.0.0.1:8082", &format!("server {second}"))
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
        let d = dir.path().display();
        std::fs::write(dir.path().join("kotae.conf"), site).expect("write site");
        let main = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               include {d}/kotae.conf;\n}}\n"
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, main).expect("write nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .spawn()
            .expect("start nginx");
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::new(&base);
        let started = Instant::now();
        loop {
            let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if up && client.get("/healthz").status == 200 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "nginx started");
            std::thread::sleep(Duration::from_millis(50));
        }
        Balancer {
            child,
            base,
            _dir: dir,
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the load saw: every write acknowledged, and every answer of 500 or more.
#[derive(Default)]
struct Tally {
    topics: Vec<i64>,
    replies: Vec<i64>,
    me_toos: usize,
    sign_ins: usize,
    searches: usize,
    failures: Vec<String>,
}

fn send(client: &Client, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers: &[(&str, &str)] = match token {
        "" => &[],
        _ => &[("authorization", &auth)],
    };
    let answer = if method == "GET" {
        client.get_with(path, headers)
    } else {
        client.send_raw(
            method,
            path,
            "application/json",
            body.to_string().into_bytes(),
            headers,
        )
    };
    let json = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, json)
}

/// One load thread: `rounds` of sign-in, topic, reply, me-too (which escalates) and search,
/// all through the balancer.
fn load(
    base: &str,
    who: &common::Member,
    fan: &common::Member,
    rounds: usize,
    tally: &Mutex<Tally>,
) {
    let client = Client::new(base);
    let note = |what: &str, status: u16, body: &Value| {
        if status >= 500 {
            tally
                .lock()
                .unwrap()
                .failures
                .push(format!("{what}: {status} {body}"));
        }
    };
    let mut token = who.token.clone();
    for round in 0..rounds {
        if round % 4 == 0 {
            let (status, body) = send(
                &client,
                "POST",
                "/api/v1/tokens",
                "",
                json!({ "login": who.username, "password": common::PASSWORD }),
            );
            note("sign-in", status, &body);
            if status == 201 {
                token = body["token"].as_str().expect("token").to_string();
                tally.lock().unwrap().sign_ins += 1;
            }
        }
        let title = format!("Cluster {} round {round} feeder jams", who.username);
        let (status, body) = send(
            &client,
            "POST",
            "/api/v1/brands/acme/topics",
            &token,
            json!({ "kind": "idea", "title": title, "body": "The feeder jams on thick paper." }),
        );
        note("topic", status, &body);
        let Some(topic) = body["id"].as_i64().filter(|_| status == 201) else {
            continue;
        };
        tally.lock().unwrap().topics.push(topic);
        let (status, body) = send(
            &client,
            "POST",
            &format!("/api/v1/topics/{topic}/replies"),
            &token,
            json!({ "body": format!("More detail for round {round}: it happens every morning.") }),
        );
        note("reply", status, &body);
        if status == 201 {
            tally
                .lock()
                .unwrap()
                .replies
                .push(body["id"].as_i64().expect("id"));
        }
        let (status, body) = send(
            &client,
            "POST",
            &format!("/api/v1/topics/{topic}/me-too"),
            &fan.token,
            Value::Null,
        );
        note("me-too", status, &body);
        if status == 200 {
            tally.lock().unwrap().me_toos += 1;
        }
        let (status, body) = send(
            &client,
            "GET",
            "/api/v1/search?q=feeder+jams",
            &token,
            Value::Null,
        );
        note("search", status, &body);
        if status == 200 {
            tally.lock().unwrap().searches += 1;
        }
    }
}

/// Runs the load on `THREADS` threads, one member each; `during` runs beside it.
fn run_load(
    base: &str,
    members: &[common::Member],
    fan: &common::Member,
    rounds: usize,
    during: impl FnOnce(&Mutex<Tally>),
) -> Tally {
    let tally = Arc::new(Mutex::new(Tally::default()));
    std::thread::scope(|scope| {
        for who in members {
            let tally = tally.clone();
            scope.spawn(move || load(base, who, fan, rounds, &tally));
        }
        during(&tally);
    });
    Arc::try_unwrap(tally)
        .ok()
        .expect("threads done")
        .into_inner()
        .unwrap()
}

fn ids_present(app: &TestApp, table: &str, ids: &[i64]) -> usize {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    if ids.is_empty() {
        return 0;
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let found: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE id IN ({})",
        list.join(",")
    ))
    .get_result(&mut app.db())
    .expect("count");
    found.n as usize
}

fn searchable(base: &str, query: &str, id: i64) -> bool {
    let path = format!(
        "/api/v1/search?{}",
        serde_urlencoded::to_string([("q", query)]).expect("query")
    );
    let answer = Client::new(base).get(&path);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["topic_id"] == id))
}

fn wait_searchable(base: &str, query: &str, id: i64, within: Duration) -> Duration {
    let started = Instant::now();
    while !searchable(base, query, id) {
        assert!(
            started.elapsed() < within,
            "{query} (topic {id}) not found on {base} within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// Waits until the mail queue is empty and every mail marked sent has arrived; fails if a
/// Message-ID arrives twice. Returns how many arrived.
fn mail_each_once(app: &TestApp) -> usize {
    use diesel::prelude::*;
    use kotae::db::schema::outbox_emails;
    let bare = |id: &str| id.trim().trim_matches(['<', '>']).to_string();
    let started = Instant::now();
    loop {
        let mut got: Vec<String> = app
            .smtp
            .messages()
            .iter()
            .filter_map(|m| m.header("message-id"))
            .map(|id| bare(&id))
            .collect();
        let all = got.len();
        got.sort();
        got.dedup();
        assert_eq!(got.len(), all, "a Message-ID arrived twice");
        let mut c = app.db();
        let pending: i64 = outbox_emails::table
            .filter(outbox_emails::status.eq("pending"))
            .count()
            .get_result(&mut c)
            .expect("pending");
        let mut sent: Vec<String> = outbox_emails::table
            .filter(outbox_emails::status.eq("sent"))
            .select(outbox_emails::message_id)
            .load::<String>(&mut c)
            .expect("sent")
            .iter()
            .map(|id| bare(id))
            .collect();
        sent.sort();
        if pending == 0 && got == sent {
            return all;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{pending} mails queued; {} sent, {all} arrived",
            sent.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn setup() -> Option<(TestApp, Node, Company, Vec<common::Member>)> {
    if std::env::var("KOTAE_TEST_DATABASE_URL").is_err() {
        eprintln!(
            "two nodes share a PostgreSQL database; this runs when KOTAE_TEST_DATABASE_URL is set (as in CI)"
        );
        return None;
    }
    if !common::tool_available(
        Path::new(NGINX).exists(),
        "nginx",
        "apt-get install nginx-light",
    ) {
        return None;
    }
    let secret = "a-secret-key-shared-by-both-nodes-of-the-cluster".to_string();
    let app = TestApp::start_with(Options {
        env: vec![
            ("KOTAE_SECRET_KEY".into(), secret),
            ("KOTAE_TRUSTED_PROXIES".into(), "127.0.0.1/32".into()),
            ("KOTAE_ESCALATION_CHECK_SECONDS".into(), "1".into()),
        ],
        ..Options::default()
    });
    let second = app.another_node();
    let co = company(&app);
    let (status, body) = app.as_member(
        &co.admin,
        "PUT",
        "/api/v1/brands/acme/escalation-rules",
        json!({ "me_too_threshold": 1, "recipients": [co.staff.id] }),
    );
    assert_eq!(status, 200, "{body}");
    let members = (0..THREADS)
        .map(|i| app.member(&format!("load{i}")))
        .collect();
    Some((app, second, co, members))
}

#[test]
fn two_nodes_behind_nginx_keep_every_write_and_survive_a_sigkill() {
    let Some((app, mut second, co, members)) = setup() else {
        return;
    };
    let first = app.base.trim_start_matches("http://").to_string();
    let second_address = second.base.trim_start_matches("http://").to_string();
    let nginx = Balancer::start(&first, &second_address);

    // a session made through the balancer is good on each node
    let (status, body) = Client::new(&nginx.base).post_json(
        "/api/v1/tokens",
        &json!({ "login": "load0", "password": common::PASSWORD }),
    );
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token");
    for base in [&app.base, &second.base] {
        let (status, me) = Client::new(base).get_as("/api/v1/me", token);
        assert_eq!(status, 200, "{base}: {me}");
        assert_eq!(me["username"], "load0");
    }

    // phase 1: the mixed load, no node lost
    let calm = run_load(&nginx.base, &members, &co.member, 12, |_| {});
    assert!(
        calm.failures.is_empty(),
        "5xx under load: {:#?}",
        calm.failures
    );
    let expected = THREADS * 12;
    assert_eq!(calm.topics.len(), expected, "every topic acknowledged");
    assert_eq!(calm.replies.len(), expected);
    assert_eq!(calm.me_toos, expected);
    assert_eq!(calm.searches, expected);
    assert_eq!(calm.sign_ins, THREADS * 3);
    assert_eq!(ids_present(&app, "topics", &calm.topics), expected);
    assert_eq!(ids_present(&app, "replies", &calm.replies), expected);

    // each escalation opened once and each mail sent once, though both nodes check and send
    let deadline = Instant::now() + Duration::from_secs(30);
    let escalated = |app: &TestApp| -> usize {
        let mail = app.smtp.messages_to(&co.staff.email);
        mail.iter()
            .filter(|m| m.subject().contains("Escalated"))
            .count()
    };
    while escalated(&app) < expected {
        assert!(
            Instant::now() < deadline,
            "{} of {expected} escalations mailed",
            escalated(&app)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let arrived = mail_each_once(&app);
    assert!(arrived >= expected, "{arrived} mails");
    assert_eq!(escalated(&app), expected, "each escalation mailed once");

    // a topic posted through one node is found through the other within 2 seconds
    let (status, body) = send(
        &Client::new(&app.base),
        "POST",
        "/api/v1/brands/acme/topics",
        &co.asker.token,
        json!({ "kind": "question", "title": "Quartz platen squeaks", "body": "Since Monday." }),
    );
    assert_eq!(status, 201, "{body}");
    let took = wait_searchable(
        &second.base,
        "quartz platen",
        body["id"].as_i64().unwrap(),
        Duration::from_secs(2),
    );
    eprintln!("found on the other node after {took:?}");

    // phase 2: the second node is killed under load; the first serves on
    let mut killed_after = 0;
    let rough = run_load(&nginx.base, &members, &co.member, 10, |tally| {
        while tally.lock().unwrap().topics.len() < 8 {
            std::thread::sleep(Duration::from_millis(5));
        }
        second.kill();
        killed_after = tally.lock().unwrap().topics.len();
    });
    assert!(
        rough.topics.len() >= killed_after + 2 * THREADS,
        "the load went on after the kill: {killed_after} then {}",
        rough.topics.len()
    );
    eprintln!(
        "under SIGKILL: {} topics and {} replies acknowledged, {} answered 5xx",
        rough.topics.len(),
        rough.replies.len(),
        rough.failures.len()
    );
    // only requests the killed node had already received may fail, one per thread at most
    assert!(rough.failures.len() <= THREADS, "{:#?}", rough.failures);
    assert!(rough.topics.len() >= THREADS * 10 - THREADS);
    assert_eq!(
        ids_present(&app, "topics", &rough.topics),
        rough.topics.len()
    );
    assert_eq!(
        ids_present(&app, "replies", &rough.replies),
        rough.replies.len()
    );
    let after = run_load(&nginx.base, &members, &co.member, 2, |_| {});
    assert!(
        after.failures.is_empty(),
        "one node serves on: {:#?}",
        after.failures
    );

    // written while the node was down; found there once it is back
    let (status, body) = send(
        &Client::new(&nginx.base),
        "POST",
        "/api/v1/brands/acme/topics",
        &co.asker.token,
        json!({ "kind": "question", "title": "Basalt tray rattles", "body": "Loudly." }),
    );
    assert_eq!(status, 201, "{body}");
    let missed = body["id"].as_i64().unwrap();
    app.restart_node(&mut second);
    wait_searchable(&second.base, "basalt tray", missed, Duration::from_secs(10));
    for id in rough.topics.iter().chain(&calm.topics).step_by(7) {
        let (status, _) = Client::new(&second.base).get_as(&format!("/api/v1/topics/{id}"), token);
        assert_eq!(status, 200, "topic {id} served by the restarted node");
    }
}

/// The guide's systemd unit parses, with its directives known to this systemd.
#[test]
fn the_systemd_unit_verifies() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !common::tool_available(
        analyze.exists(),
        "systemd-analyze",
        "apt-get install systemd",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let unit = std::fs::read_to_string(repo_file("docs/deploy/kotae@.service")).expect("unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/kotae serve"));
    let unit = unit.replace("/usr/local/bin/kotae", env!("CARGO_BIN_EXE_kotae"));
    let path = dir.path().join("kotae@1.service");
    std::fs::write(&path, unit).expect("write unit");
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .expect("systemd-analyze");
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let about_unit: Vec<&str> = said.lines().filter(|l| l.contains("kotae@")).collect();
    assert!(about_unit.is_empty(), "{said}");
}

/// The settings the unit gives a node, its own Environment= lines and the guide's
/// kotae.env, are settings kotae accepts (the database and data directory pointed here).
#[test]
fn the_units_settings_are_accepted() {
    let unit = std::fs::read_to_string(repo_file("docs/deploy/kotae@.service")).expect("unit");
    let shared = std::fs::read_to_string(repo_file("docs/deploy/kotae.env")).expect("env");
    let from_unit = unit
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .map(|l| l.replace("%i", "1"));
    let mut settings: Vec<(String, String)> = shared
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .chain(from_unit)
        .map(|l| {
            let (key, value) = l.split_once('=').expect("KEY=value");
            (key.to_string(), value.to_string())
        })
        .collect();
    assert!(settings.iter().any(|(k, _)| k == "KOTAE_SECRET_KEY"));
    let dir = tempfile::tempdir().expect("dir");
    let here = dir.path().to_str().expect("path").to_string();
    for (key, value) in &mut settings {
        match key.as_str() {
            "KOTAE_DATA_DIR" => *value = here.clone(),
            "KOTAE_DATABASE_URL" => *value = format!("{here}/kotae.db"),
            _ => {}
        }
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
        command.env_remove(key);
    }
    let out = command.arg("migrate").envs(settings).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
