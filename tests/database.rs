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
