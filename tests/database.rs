//! The database under the server: pragmas, migrations, concurrent writers, races.

mod common;

use std::sync::Arc;

use common::{PASSWORD, TestApp};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use kotae::db::DbConn;
use serde_json::json;

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct NumberRow {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[test]
fn sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys() {
    let app = TestApp::start();
    let mut c = app.db();
    let DbConn::Sqlite(_) = &c else { return }; // PostgreSQL has no pragmas
    let text = |c: &mut DbConn, sql: &str| {
        diesel::sql_query(sql)
            .get_result::<TextRow>(c)
            .expect(sql)
            .value
    };
    let number = |c: &mut DbConn, sql: &str| {
        diesel::sql_query(sql)
            .get_result::<NumberRow>(c)
            .expect(sql)
            .value
    };
    assert_eq!(
        text(
            &mut c,
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ),
        "wal"
    );
    assert_eq!(
        number(
            &mut c,
            "SELECT foreign_keys AS value FROM pragma_foreign_keys"
        ),
        1
    );
    assert_eq!(
        number(&mut c, "SELECT timeout AS value FROM pragma_busy_timeout"),
        10_000
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut names: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .expect("migrations folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[test]
fn concurrent_writers_wait_instead_of_failing() {
    let app = Arc::new(TestApp::start());
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let app = app.clone();
            std::thread::spawn(move || {
                let (status, body) = app.client().post_json("/api/v1/accounts", &json!({
                    "username": format!("writer{i}"), "email": format!("writer{i}@example.com"), "password": PASSWORD,
                }));
                assert_eq!(status, 201, "writer {i}: {body}");
                for _ in 0..3 {
                    let (status, body) = app.client().post_json("/api/v1/password-resets", &json!({ "email": format!("writer{i}@example.com") }));
                    assert_eq!(status, 202, "writer {i}: {body}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    assert_eq!(kotae::model::user::count(&mut app.db()).expect("count"), 16);
}

#[test]
fn racing_sign_ups_for_one_username_leave_one_account_and_no_500() {
    let app = Arc::new(TestApp::start());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let app = app.clone();
            std::thread::spawn(move || {
                app.client()
                    .post_json("/api/v1/accounts", &json!({
                        "username": "same", "email": format!("same{i}@example.com"), "password": PASSWORD,
                    }))
                    .0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
}

/// Finished webhook deliveries older than 30 days and inbound Message-IDs older than 200 days
/// go at the janitor's sweep (at start, then hourly); pending deliveries and recent rows stay.
#[test]
fn the_janitor_prunes_delivery_logs_and_old_message_ids() {
    use diesel::prelude::*;
    use kotae::db::schema::{inbound_mails, webhook_deliveries, webhooks};
    let mut app = TestApp::start();
    let owner = app.member("olive");
    common::staff::create_brand(&app, &owner, "Prune", "prune", None);
    let topic = common::staff::post_topic(&app, &owner, "prune", "question", "Old mail");
    let now = chrono::Utc::now().naive_utc();
    let days = chrono::Duration::days;
    let mut c = app.db();
    let hook: i64 = diesel::insert_into(webhooks::table)
        .values((
            webhooks::brand_id.eq(1_i64),
            webhooks::url.eq("http://127.0.0.1:9/"),
            webhooks::events.eq("topic.created"),
            webhooks::format.eq("standard"),
            webhooks::secret.eq("whsec_x"),
            webhooks::created_by.eq(owner.id),
            webhooks::created_at.eq(now),
        ))
        .returning(webhooks::id)
        .get_result(&mut c)
        .expect("webhook");
    for (message, status, age) in [
        ("old-delivered", "delivered", 40),
        ("old-failed", "failed", 40),
        ("old-pending", "pending", 40),
        ("new-delivered", "delivered", 3),
    ] {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::webhook_id.eq(hook),
                webhook_deliveries::message_id.eq(message),
                webhook_deliveries::event.eq("topic.created"),
                webhook_deliveries::payload.eq("{}"),
                webhook_deliveries::status.eq(status),
                // not due: the sender leaves the pending one alone (a first try past its age
                // is the last, and fails it), so only the janitor touches these rows
                webhook_deliveries::next_attempt_at.eq(now + days(1)),
                webhook_deliveries::created_at.eq(now - days(age)),
            ))
            .execute(&mut c)
            .expect("delivery");
    }
    for (key, age) in [("old-mail", 250), ("new-mail", 10)] {
        diesel::insert_into(inbound_mails::table)
            .values((
                inbound_mails::message_key.eq(key),
                inbound_mails::user_id.eq(owner.id),
                inbound_mails::topic_id.eq(topic),
                inbound_mails::received_at.eq(now - days(age)),
            ))
            .execute(&mut c)
            .expect("inbound mail");
    }
    drop(c);
    app.restart();
    let mut c = app.db();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let left = loop {
        let mut left: Vec<String> = webhook_deliveries::table
            .select(webhook_deliveries::message_id)
            .load(&mut c)
            .expect("deliveries");
        left.extend(
            inbound_mails::table
                .select(inbound_mails::message_key)
                .load::<String>(&mut c)
                .expect("mails"),
        );
        left.sort();
        if left.len() == 3 || std::time::Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(left, ["new-delivered", "new-mail", "old-pending"]);
}

/// The server copies SQLite's log back into the database file by itself (jobs/checkpoint.rs),
/// long before the connections' own threshold of 10,000 pages: the file alone, read without
/// the log, soon holds a new account.
#[test]
fn the_server_copies_the_write_ahead_log_into_the_database_file() {
    let app = TestApp::start();
    if !matches!(app.db(), DbConn::Sqlite(_)) {
        return;
    }
    app.sign_up("walcheck");
    // immutable: read the file as it is on disk, ignoring the -wal file and its locks
    let file_only = format!("file:{}?immutable=1", app.database_url);
    let in_file = || -> Option<i64> {
        let mut c = <diesel::SqliteConnection as diesel::Connection>::establish(&file_only).ok()?;
        diesel::sql_query("SELECT count(*) AS value FROM users WHERE username = 'walcheck'")
            .get_result::<NumberRow>(&mut c)
            .ok()
            .map(|row| row.value)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while in_file() != Some(1) {
        assert!(
            std::time::Instant::now() < deadline,
            "the new account is still only in the log after 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
