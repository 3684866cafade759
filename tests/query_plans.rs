//! List queries use indexes: the SQLite plans of the real queries, captured with diesel's
//! instrumentation and explained (PostgreSQL plans are recorded in BENCHMARKS.md).

mod common;

use std::sync::{Arc, Mutex};

use common::TestApp;
use diesel::connection::InstrumentationEvent;
use diesel::{Connection, RunQueryDsl};
use kotae::db::DbConn;
use kotae::model::brand;
use kotae::model::topic::{self, Filter, Sort};

#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// The SQL each query issued by `work` ran, without its bind comments.
fn captured<T>(c: &mut DbConn, work: impl FnOnce(&mut DbConn) -> T) -> Vec<String> {
    let statements = Arc::new(Mutex::new(Vec::new()));
    let sink = statements.clone();
    c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text
                .split(" -- binds:")
                .next()
                .unwrap_or_default()
                .to_string();
            sink.lock().expect("lock").push(sql);
        }
    });
    work(c);
    c.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    statements.lock().expect("lock").clone()
}

fn plan(c: &mut DbConn, sql: &str) -> Vec<String> {
    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load::<PlanRow>(c)
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .into_iter()
        .map(|row| row.detail)
        .collect()
}

/// A server with the demo community on SQLite (None on PostgreSQL), a connection and the
/// demo brand. No ANALYZE: with a handful of demo rows every plan would be a scan; without
/// statistics SQLite plans as for a big table, which is what the indexes are for.
fn demo_on_sqlite() -> Option<(TestApp, DbConn, kotae::model::BrandId)> {
    let app = TestApp::start();
    let mut c = app.db();
    if !matches!(c, DbConn::Sqlite(_)) {
        return None;
    }
    app.load_demo();
    let acme = brand::find_by_slug(&mut c, "acme-printers")
        .expect("brand")
        .id;
    Some((app, c, acme))
}

#[test]
fn brand_and_directory_lists_use_indexes() {
    let Some((_app, mut c, acme)) = demo_on_sqlite() else {
        return;
    };
    let cases: Vec<(&str, Filter, Sort)> = vec![
        (
            "brand, active",
            Filter {
                brand: Some(acme),
                ..Filter::default()
            },
            Sort::Active,
        ),
        (
            "brand, recent",
            Filter {
                brand: Some(acme),
                ..Filter::default()
            },
            Sort::Recent,
        ),
        (
            "brand + kind, active",
            Filter {
                brand: Some(acme),
                kind: Some("problem".into()),
                ..Filter::default()
            },
            Sort::Active,
        ),
        (
            "brand + status, active",
            Filter {
                brand: Some(acme),
                status: Some("open".into()),
                ..Filter::default()
            },
            Sort::Active,
        ),
        (
            "brand, unanswered",
            Filter {
                brand: Some(acme),
                ..Filter::default()
            },
            Sort::Unanswered,
        ),
        ("whole site, active", Filter::default(), Sort::Active),
    ];
    for (name, filter, sort) in cases {
        let statements = captured(&mut c, |c| {
            topic::list(c, &filter, sort, 20, 0).expect("list")
        });
        let listing = statements
            .iter()
            .find(|s| s.contains("ORDER BY"))
            .expect("the page query");
        let steps = plan(&mut c, listing);
        let text = steps.join(" | ");
        assert!(
            !steps
                .iter()
                .any(|s| s.starts_with("SCAN topics") && !s.contains("USING INDEX")),
            "{name} scans topics: {text}"
        );
        // any sort, even of the ties' ids ("FOR LAST TERM OF ORDER BY"), reads every
        // matching topic before the first page can be returned
        assert!(
            !text.contains("TEMP B-TREE"),
            "{name} sorts in a temporary tree: {text}"
        );
        assert!(
            text.contains("USING INDEX topics_"),
            "{name} uses no topics index: {text}"
        );
    }
    let statements = captured(&mut c, |c| {
        brand::directory(c, "", 20, 0).expect("directory")
    });
    let listing = statements
        .iter()
        .find(|s| s.contains("ORDER BY"))
        .expect("directory query");
    let text = plan(&mut c, listing).join(" | ");
    assert!(
        text.contains("brands_activity") && !text.contains("TEMP B-TREE"),
        "directory: {text}"
    );
}

/// The staff queue counts and ranks a brand's open threads from covering indexes, without
/// reading a topic row: the priority depends on the time of the request, so every open thread is
/// ranked, and reading 16,605 rows for it took most of a second on the generated set.
#[test]
fn the_staff_queue_ranks_from_covering_indexes() {
    let Some((_app, mut c, acme)) = demo_on_sqlite() else {
        return;
    };
    let me = kotae::model::UserId(1);
    for by_priority in [true, false] {
        let q = topic::QueueQuery {
            brand: acme,
            view: topic::QueueView::All,
            me,
            overdue_before: None,
            by_priority,
            now: kotae::model::now(),
            target_secs: 86_400.0,
        };
        let statements = captured(&mut c, |c| topic::queue(c, &q, 50, 0).expect("queue"));
        let (count, rank) = (&statements[0], &statements[1]);
        for (name, sql) in [("count", count), ("ranking", rank)] {
            let text = plan(&mut c, sql).join(" | ");
            assert!(
                text.contains("USING COVERING INDEX topics_"),
                "{name} (by priority: {by_priority}) reads topic rows: {text}"
            );
        }
    }
}

/// Search hits are checked against the database in one statement, whatever their number,
/// each id looked up by its primary key.
#[test]
fn search_hits_are_checked_in_one_statement_by_primary_key() {
    let Some((_app, mut c, _)) = demo_on_sqlite() else {
        return;
    };
    let dir = tempfile::tempdir().expect("index dir");
    let index = kotae::search::SearchIndex::open(dir.path()).expect("index");
    kotae::search::indexer::rebuild(&mut c, &index).expect("rebuild");
    let input = kotae::service::search::SearchInput {
        q: "printer".into(),
        ..Default::default()
    };
    let mut shown = 0;
    let statements = captured(&mut c, |c| {
        shown = kotae::service::search::search(c, &index, &input)
            .expect("search")
            .items
            .len();
    });
    assert!(shown >= 2, "the demo has several printer topics: {shown}");
    let checks: Vec<&String> = statements
        .iter()
        .filter(|sql| sql.contains("FROM (`topics`"))
        .collect();
    assert_eq!(checks.len(), 1, "{statements:?}");
    let text = plan(&mut c, checks[0]).join(" | ");
    assert!(
        text.contains("SEARCH topics USING INTEGER PRIMARY KEY") && !text.contains("SCAN topics"),
        "{text}"
    );
}
