//! The test harness: starts the real `kotae` binary on a loopback port with a fresh
//! database (a SQLite file, or a new PostgreSQL database when KOTAE_TEST_DATABASE_URL
//! names a server) and an SMTP sink, and gives clients that speak HTTP to it.
#![allow(
    dead_code,
    unused_imports,
    reason = "each test file uses a different part of the harness"
)]

pub mod browser;
pub mod feed_server;
pub mod html_safety;
pub mod oidc;
pub mod receiver;
pub mod smtp;
pub mod staff;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
pub use smtp::{Mode, ReceivedMail, SmtpSink};

pub const PASSWORD: &str = "correct horse battery staple";
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// How to start the server.
#[derive(Clone)]
pub struct Options {
    pub rate_limits: bool,
    pub smtp: bool,
    pub env: Vec<(String, String)>,
    /// A SQLite file even when KOTAE_TEST_DATABASE_URL names PostgreSQL.
    pub sqlite: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate_limits: false,
            smtp: true,
            env: vec![],
            sqlite: false,
        }
    }
}

/// A running server and everything it owns.
pub struct TestApp {
    pub base: String,
    pub smtp: SmtpSink,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    pub options: Options,
    child: Option<Child>,
    postgres: Option<(String, String)>,
}

impl TestApp {
    pub fn start() -> TestApp {
        TestApp::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database_url, postgres) = match std::env::var("KOTAE_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() && !options.sqlite => {
                let name = format!(
                    "kotae_t{}_{}",
                    std::process::id(),
                    DATABASES.fetch_add(1, Ordering::SeqCst)
                );
                pg_admin(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
                pg_admin(&admin, &format!("CREATE DATABASE {name}"));
                (with_database(&admin, &name), Some((admin, name)))
            }
            _ => (
                data_dir
                    .path()
                    .join("kotae.db")
                    .to_string_lossy()
                    .into_owned(),
                None,
            ),
        };
        let smtp = SmtpSink::start();
        let mut app = TestApp {
            base: String::new(),
            smtp,
            data_dir,
            database_url,
            options,
            child: None,
            postgres,
        };
        app.launch();
        app
    }

    /// The server process's settings.
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
            command.env_remove(key);
        }
        command
            .arg("serve")
            .env("KOTAE_BIND", "127.0.0.1:0")
            .env("KOTAE_DATA_DIR", self.data_dir.path())
            .env("KOTAE_DATABASE_URL", &self.database_url)
            .env(
                "KOTAE_RATE_LIMITS",
                if self.options.rate_limits {
                    "on"
                } else {
                    "off"
                },
            )
            .env("KOTAE_MAIL_RETRY_SECONDS", "1")
            .env("KOTAE_MAIL_FROM", "Kotae <kotae@kotae.test>")
            .env("KOTAE_WORKERS", "2")
            .env("KOTAE_LOG", "info,kotae::http=warn");
        if self.options.smtp {
            command.env("KOTAE_SMTP_URL", self.smtp.url());
        }
        for (key, value) in &self.options.env {
            command.env(key, value);
        }
        command
    }

    /// Starts the process and waits for its "listening on" line.
    fn launch(&mut self) {
        let (child, base) = spawn_server(self.command());
        self.base = base;
        self.child = Some(child);
    }

    /// Starts another `kotae serve` on the same database (a second node), with its own data
    /// directory; it stops when the returned guard drops.
    pub fn another_node(&self) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = self.command();
        command.env("KOTAE_DATA_DIR", dir.path());
        let (child, base) = spawn_server(command);
        Node {
            child: Some(child),
            base,
            dir,
        }
    }

    /// Starts a killed node again on its data directory and its port (a balancer in front
    /// of it keeps its address).
    pub fn restart_node(&self, node: &mut Node) {
        node.kill();
        let address = node.base.trim_start_matches("http://").to_string();
        let mut command = self.command();
        command
            .env("KOTAE_DATA_DIR", node.dir.path())
            .env("KOTAE_BIND", &address);
        let (child, base) = spawn_server(command);
        node.child = Some(child);
        node.base = base;
    }

    /// Kills the server without warning (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the server to stop (SIGTERM) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().expect("wait for kotae")
    }

    /// Starts the server again on the same data (after `kill` or `terminate`).
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A direct connection to the server's database, for assertions.
    pub fn db(&self) -> kotae::db::DbConn {
        kotae::db::connect(&self.database_url).expect("connect to the test database")
    }

    /// Signs up `username` through the API and returns the mailed verification token.
    pub fn sign_up(&self, username: &str) -> String {
        let email = format!("{username}@example.com");
        let (status, body) = self.client().post_json(
            "/api/v1/accounts",
            &json!({
                "username": username, "email": email, "password": PASSWORD,
            }),
        );
        assert_eq!(status, 201, "sign-up of {username}: {body}");
        let mail = self.smtp.wait_for(&email, 1, Duration::from_secs(20));
        token_from(&mail[0].text_body(), "/verify?token=")
    }

    /// Calls the API as `member`, with their bearer token.
    pub fn as_member(
        &self,
        member: &Member,
        method: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        if method == "GET" {
            return self.client().get_as(path, &member.token);
        }
        let auth = format!("Bearer {}", member.token);
        self.client()
            .send_json(method, path, &body, &[("authorization", &auth)])
    }

    /// Loads `kotae demo` into this server's database.
    pub fn load_demo(&self) {
        self.demo(&[]);
    }

    /// Loads the demo and generates `topics` more over `brands` generated brands; the server
    /// stops meanwhile, since the generator rebuilds the search index it holds open.
    pub fn load_generated(&mut self, topics: usize, brands: usize) {
        self.kill();
        self.demo(&[
            "--topics",
            &topics.to_string(),
            "--brands",
            &brands.to_string(),
        ]);
        self.restart();
    }

    /// Runs `kotae mail-in` on this server's data with `raw` on standard input: its exit
    /// code and what it printed.
    pub fn mail_in(&self, raw: &[u8]) -> (i32, String) {
        use std::io::Write as _;
        let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
            command.env_remove(key);
        }
        command
            .arg("mail-in")
            .env("KOTAE_DATA_DIR", self.data_dir.path())
            .env("KOTAE_DATABASE_URL", &self.database_url)
            .env("KOTAE_MAIL_FROM", "Kotae <kotae@kotae.test>")
            .env("KOTAE_BASE_URL", &self.base)
            .env("KOTAE_LOG", "warn");
        for (key, value) in &self.options.env {
            command.env(key, value);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kotae mail-in");
        let mut stdin = child.stdin.take().expect("stdin");
        let raw = raw.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&raw));
        let output = child.wait_with_output().expect("kotae mail-in");
        writer.join().expect("writer").expect("write the message");
        (
            output.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    fn demo(&self, args: &[&str]) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kotae"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KOTAE_")) {
            command.env_remove(key);
        }
        let output = command
            .arg("demo")
            .args(args)
            .env("KOTAE_DATA_DIR", self.data_dir.path())
            .env("KOTAE_DATABASE_URL", &self.database_url)
            .output()
            .expect("run kotae demo");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A verified member with an API token.
    pub fn member(&self, username: &str) -> Member {
        let token = self.sign_up(username);
        let client = self.client();
        let (status, body) =
            client.post_json("/api/v1/accounts/verify", &json!({ "token": token }));
        assert_eq!(status, 200, "verify {username}: {body}");
        let (status, body) = client.post_json(
            "/api/v1/tokens",
            &json!({ "login": username, "password": PASSWORD }),
        );
        assert_eq!(status, 201, "token for {username}: {body}");
        Member {
            id: body["user"]["id"].as_i64().expect("id"),
            username: username.to_string(),
            email: format!("{username}@example.com"),
            token: body["token"].as_str().expect("token").to_string(),
        }
    }
}

/// Spawns a server and waits for its "listening on" line: the child and its base URL.
pub fn spawn_server(mut command: Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kotae");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let address = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send(address);
            }
            eprintln!("[kotae] {line}");
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("kotae exited or did not start within 30 s (its output is above)");
        });
    (child, base)
}

/// A second server process on the same database.
pub struct Node {
    child: Option<Child>,
    pub base: String,
    dir: tempfile::TempDir,
}

impl Node {
    /// Kills the node without warning (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill();
        if let Some((admin, name)) = &self.postgres {
            drop_database(admin, name);
        }
    }
}

/// Drops a test database. Backends of the killed server may linger a moment, so this tries
/// a few times; a database left behind is only litter, so it never panics (in a drop).
fn drop_database(admin_url: &str, name: &str) {
    use diesel::{Connection, RunQueryDsl};
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let mut last = String::new();
    for _ in 0..20 {
        let done = diesel::PgConnection::establish(admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                diesel::sql_query(&sql)
                    .execute(&mut c)
                    .map_err(|e| e.to_string())
            });
        match done {
            Ok(_) => return,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("could not drop test database {name}: {last}");
}

/// A new, empty PostgreSQL database on the server KOTAE_TEST_DATABASE_URL names (none when it
/// names none), dropped when this drops.
pub struct PgDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> Option<PgDatabase> {
        let admin = std::env::var("KOTAE_TEST_DATABASE_URL")
            .ok()
            .filter(|a| !a.is_empty())?;
        let name = format!(
            "kotae_t{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::SeqCst)
        );
        pg_admin(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
        pg_admin(&admin, &format!("CREATE DATABASE {name}"));
        Some(PgDatabase {
            url: with_database(&admin, &name),
            admin,
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        drop_database(&self.admin, &self.name);
    }
}

fn pg_admin(admin_url: &str, sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut c =
        diesel::PgConnection::establish(admin_url).expect("connect to KOTAE_TEST_DATABASE_URL");
    diesel::sql_query(sql)
        .execute(&mut c)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("KOTAE_TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// Whether an outside tool a test needs is here. When it is not, the test says so loudly and
/// is skipped, unless KOTAE_TEST_REQUIRE_TOOLS=1 (CI), where the absence fails it.
pub fn tool_available(present: bool, what: &str, install: &str) -> bool {
    if present {
        return true;
    }
    let required = std::env::var("KOTAE_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "KOTAE_TEST_REQUIRE_TOOLS=1 but {what} is missing ({install})"
    );
    eprintln!("\n!!!!!!!!\n!!! SKIPPED: {what} is missing; {install} to run this test\n!!!!!!!!\n");
    false
}

/// The token in the first link of `text` that contains `marker`.
pub fn token_from(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} link in:\n{text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A verified member as the API knows them.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub token: String,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of the first hidden csrf_token field on the page.
    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .expect("page has a form with a CSRF token")
            + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    }
}

/// A browser-like client: cookies kept, redirects not followed.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            base: base.to_string(),
            agent,
        }
    }

    fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = result.expect("request reaches the server");
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        Self::answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    /// GET a full URL (another server's), with this client's cookies.
    pub fn get_url(&self, url: &str) -> Answer {
        Self::answer(self.agent.get(url).call())
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::answer(request.call())
    }

    /// POST JSON; returns status and the parsed body (Null when empty).
    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json("POST", path, body, &[])
    }

    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let answer = self.send_raw(
            method,
            path,
            "application/json",
            body.to_string().into_bytes(),
            headers,
        );
        let json = if answer.body.is_empty() {
            Value::Null
        } else {
            answer.json()
        };
        (answer.status, json)
    }

    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut request = match method {
            "POST" => self.agent.post(url),
            "PUT" => self.agent.put(url),
            "PATCH" => self.agent.patch(url),
            "DELETE" => self.agent.delete(url).force_send_body(),
            other => panic!("method {other}"),
        };
        request = request.header("content-type", content_type);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::answer(request.send(&body[..]))
    }

    /// GET with a bearer token.
    pub fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        let answer = self.get_with(path, &[("authorization", &format!("Bearer {token}"))]);
        let json = if answer.body.is_empty() {
            Value::Null
        } else {
            answer.json()
        };
        (answer.status, json)
    }

    /// Submits a form the way a browser does, CSRF token taken from `page`.
    pub fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.get(page).csrf_token();
        self.post_form(action, &token, fields)
    }

    pub fn post_form(&self, action: &str, csrf: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
        all.extend_from_slice(fields);
        Self::answer(
            self.agent
                .post(format!("{}{action}", self.base))
                .send_form(all),
        )
    }

    /// The value of a cookie the client holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.agent.cookie_jar_lock();
        let found = jar
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string());
        jar.release();
        found
    }
}
