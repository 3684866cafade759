//! The few things SQLite and PostgreSQL do differently, both arms side by side.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_query;

use super::DbConn;
use super::schema::{outbox_emails, rate_limits};

/// Milliseconds a SQLite writer waits for the lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// Who copies SQLite's write-ahead log back into the database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoints {
    /// Each connection, after a commit that leaves the log past `AUTOCHECKPOINT_PAGES`
    /// (commands, which run no checkpointer).
    ByConnections,
    /// The server's checkpointer (jobs/checkpoint.rs), off the writers' path. Left to the
    /// connections under load, the log never starts over (a reader is always using it), so
    /// past the threshold every commit checkpoints, fsyncs included, with the turn held.
    ByCheckpointer,
}

/// Pages (4 KiB) of write-ahead log after which a SQLite connection checkpoints by itself.
const AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// The same for the server's connections: a backstop far past the checkpointer's own limit
/// (jobs/checkpoint.rs), reached only if the checkpointer stopped.
const BACKSTOP_PAGES: u32 = 4 * crate::jobs::checkpoint::RESTART_AT_PAGES;

/// Settings every new connection gets: WAL, a busy timeout and foreign keys on SQLite.
pub fn prepare_connection(c: &mut DbConn, checkpoints: Checkpoints) -> QueryResult<()> {
    match c {
        DbConn::Sqlite(c) => {
            sql_query(format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")).execute(c)?;
            sql_query("PRAGMA journal_mode = WAL").execute(c)?;
            sql_query("PRAGMA synchronous = NORMAL").execute(c)?;
            let pages = match checkpoints {
                Checkpoints::ByConnections => AUTOCHECKPOINT_PAGES,
                Checkpoints::ByCheckpointer => BACKSTOP_PAGES,
            };
            sql_query(format!("PRAGMA wal_autocheckpoint = {pages}")).execute(c)?;
            sql_query("PRAGMA foreign_keys = ON").execute(c)?;
            // statistics for the query planner, bounded in time (SQLite's advice for
            // long-lived connections); without them it once walked a whole index
            sql_query("PRAGMA optimize = 0x10002").execute(c)?;
            Ok(())
        }
        DbConn::Postgres(c) => {
            sql_query("SET TIME ZONE 'UTC'").execute(c)?;
            Ok(())
        }
    }
}

/// Refreshes the query planner's statistics where they went stale: SQLite's bounded
/// `PRAGMA optimize` (PostgreSQL's autovacuum does this by itself).
pub fn refresh_statistics(c: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = c {
        sql_query("PRAGMA optimize").execute(c)?;
    }
    Ok(())
}

/// Runs `work` in a transaction that may write. On SQLite it begins IMMEDIATE, taking the
/// write lock up front (a deferred transaction that upgrades later skips the busy timeout
/// and fails with "database is locked"), and the writers of this process to one file take
/// turns in `group_commit`, which commits those that wait together. SQLite's busy handler
/// sleeps up to 100 ms between tries, so under load a write that needs 1 ms waited hundreds;
/// a turn is handed on at once. (Other processes, such as commands, still meet the busy
/// timeout.)
pub fn write_transaction<T, E, F>(c: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
    T: Send,
    E: From<diesel::result::Error> + Send,
{
    let nested = match c {
        DbConn::Sqlite(s) => in_transaction(s),
        DbConn::Postgres(_) => false,
    };
    match c {
        // PostgreSQL, or already inside a transaction (a savepoint nests; the turn is held)
        DbConn::Postgres(_) => c.transaction(work),
        DbConn::Sqlite(_) if nested => c.transaction(work),
        DbConn::Sqlite(s) => {
            let file = database_file(s)?;
            if !file.is_empty() {
                return super::group_commit::run(c, &file, work);
            }
            // an in-memory or temporary database: no other connection shares it
            on_sqlite(c, |s| {
                AnsiTransactionManager::begin_transaction_sql(s, "BEGIN IMMEDIATE")
            })?;
            match work(c) {
                Ok(value) => {
                    on_sqlite(c, AnsiTransactionManager::commit_transaction)?;
                    Ok(value)
                }
                Err(e) => {
                    on_sqlite(c, AnsiTransactionManager::rollback_transaction)?;
                    Err(e)
                }
            }
        }
    }
}

/// Runs `work` on `c` while no writer of this process to the same SQLite database is in a
/// transaction, and none begins one; they wait, and go on as soon as it ends. PostgreSQL and
/// in-memory databases run it at once.
pub fn between_writes<T>(
    c: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> QueryResult<T>,
) -> QueryResult<T> {
    let file = match c {
        DbConn::Sqlite(s) => database_file(s)?,
        DbConn::Postgres(_) => String::new(),
    };
    if file.is_empty() {
        return work(c);
    }
    super::group_commit::alone(&file, || work(c))
}

/// The file of the connection's main database, empty for an in-memory or temporary one.
pub fn database_file(s: &mut diesel::SqliteConnection) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct File {
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let found: File =
        sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'").get_result(s)?;
    Ok(found.file)
}

fn in_transaction(s: &mut diesel::SqliteConnection) -> bool {
    AnsiTransactionManager::transaction_manager_status_mut(s)
        .transaction_depth()
        .is_ok_and(|depth| depth.is_some())
}

/// Runs one step of a hand-driven transaction on the SQLite connection inside `c`.
fn on_sqlite(
    c: &mut DbConn,
    step: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<()>,
) -> QueryResult<()> {
    match c {
        DbConn::Sqlite(s) => step(s),
        DbConn::Postgres(_) => Ok(()),
    }
}

/// Serialises schema changes when several nodes start at once on PostgreSQL.
pub fn with_migration_lock<T>(
    c: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    const LOCK_ID: i64 = 0x006b_6f74_6165; // "kotae"
    if let DbConn::Postgres(pg) = c {
        sql_query(format!("SELECT pg_advisory_lock({LOCK_ID})")).execute(pg)?;
        let outcome = work(c);
        if let DbConn::Postgres(pg) = c {
            sql_query(format!("SELECT pg_advisory_unlock({LOCK_ID})")).execute(pg)?;
        }
        return outcome;
    }
    work(c)
}

/// Leases up to `limit` due outbox rows until `lease_until` and returns their ids.
/// PostgreSQL skips rows another node holds; SQLite's IMMEDIATE transaction already
/// serialises the claim.
pub fn claim_due_mail(
    c: &mut DbConn,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    use outbox_emails::dsl as o;
    let due = o::status
        .eq("pending")
        .and(o::next_attempt_at.le(now))
        .and(o::locked_until.is_null().or(o::locked_until.le(now)));
    write_transaction(c, |c| {
        let ids: Vec<i64> = match c {
            DbConn::Postgres(pg) => o::outbox_emails
                .select(o::id)
                .filter(due)
                .order(o::next_attempt_at)
                .limit(limit)
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(s) => o::outbox_emails
                .select(o::id)
                .filter(due)
                .order(o::next_attempt_at)
                .limit(limit)
                .load(s)?,
        };
        diesel::update(o::outbox_emails.filter(o::id.eq_any(&ids)))
            .set(o::locked_until.eq(lease_until))
            .execute(c)?;
        Ok(ids)
    })
}

/// Locks a topic's row until the transaction ends, so concurrent changes to one topic take
/// turns (SQLite's BEGIN IMMEDIATE already serialises every writer).
pub fn lock_topic(c: &mut DbConn, id: crate::model::TopicId) -> QueryResult<()> {
    use crate::db::schema::topics;
    if let DbConn::Postgres(pg) = c {
        topics::table
            .find(id)
            .select(topics::id)
            .for_update()
            .first::<i64>(pg)?;
    }
    Ok(())
}

/// Reads a rate-limit bucket's theoretical arrival time, locking the row where the backend can.
pub fn lock_rate_bucket(c: &mut DbConn, key: &str) -> QueryResult<Option<i64>> {
    use rate_limits::dsl as r;
    match c {
        DbConn::Postgres(pg) => {
            diesel::insert_into(r::rate_limits)
                .values((r::key.eq(key), r::tat_ms.eq(0)))
                .on_conflict_do_nothing()
                .execute(pg)?;
            r::rate_limits
                .select(r::tat_ms)
                .filter(r::key.eq(key))
                .for_update()
                .first(pg)
                .optional()
        }
        DbConn::Sqlite(s) => r::rate_limits
            .select(r::tat_ms)
            .filter(r::key.eq(key))
            .first(s)
            .optional(),
    }
}

/// Stores a rate-limit bucket's new theoretical arrival time.
pub fn store_rate_bucket(c: &mut DbConn, key: &str, tat_ms: i64) -> QueryResult<()> {
    use rate_limits::dsl as r;
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(r::rate_limits)
            .values((r::key.eq(key), r::tat_ms.eq(tat_ms)))
            .on_conflict(r::key)
            .do_update()
            .set(r::tat_ms.eq(tat_ms))
            .execute(pg)?,
        DbConn::Sqlite(s) => diesel::insert_into(r::rate_limits)
            .values((r::key.eq(key), r::tat_ms.eq(tat_ms)))
            .on_conflict(r::key)
            .do_update()
            .set(r::tat_ms.eq(tat_ms))
            .execute(s)?,
    };
    Ok(())
}

/// Inserts an outbox row unless one with the same dedupe key exists.
pub fn insert_ignoring_duplicate_mail(
    c: &mut DbConn,
    row: &crate::model::outbox::NewOutboxEmail,
) -> QueryResult<usize> {
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(outbox_emails::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg),
        DbConn::Sqlite(s) => diesel::insert_into(outbox_emails::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(s),
    }
}

/// Inserts a helpful vote unless the member already cast it.
pub fn insert_ignoring_duplicate_vote(
    c: &mut DbConn,
    reply: crate::model::ReplyId,
    user: crate::model::UserId,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    use super::schema::helpful_votes::dsl as h;
    let row = (
        h::reply_id.eq(reply),
        h::user_id.eq(user),
        h::created_at.eq(at),
    );
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(h::helpful_votes)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg),
        DbConn::Sqlite(s) => diesel::insert_into(h::helpful_votes)
            .values(row)
            .on_conflict_do_nothing()
            .execute(s),
    }
}

/// Grants a brand's champion badge unless the member has it already.
pub fn insert_ignoring_duplicate_champion(
    c: &mut DbConn,
    brand: crate::model::BrandId,
    user: crate::model::UserId,
    by: crate::model::UserId,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    use super::schema::brand_champions::dsl as b;
    let row = (
        b::brand_id.eq(brand),
        b::user_id.eq(user),
        b::granted_by.eq(by),
        b::created_at.eq(at),
    );
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(b::brand_champions)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg),
        DbConn::Sqlite(s) => diesel::insert_into(b::brand_champions)
            .values(row)
            .on_conflict_do_nothing()
            .execute(s),
    }
}

/// Inserts a me-too unless the member already said it.
pub fn insert_ignoring_duplicate_me_too(
    c: &mut DbConn,
    topic: crate::model::TopicId,
    user: crate::model::UserId,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    use super::schema::me_toos::dsl as m;
    let row = (
        m::topic_id.eq(topic),
        m::user_id.eq(user),
        m::created_at.eq(at),
    );
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(m::me_toos)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg),
        DbConn::Sqlite(s) => diesel::insert_into(m::me_toos)
            .values(row)
            .on_conflict_do_nothing()
            .execute(s),
    }
}

/// Inserts a topic follow unless it exists.
pub fn insert_ignoring_duplicate_follow(
    c: &mut DbConn,
    topic: crate::model::TopicId,
    user: crate::model::UserId,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    use super::schema::topic_follows::dsl as f;
    let row = (
        f::topic_id.eq(topic),
        f::user_id.eq(user),
        f::created_at.eq(at),
    );
    match c {
        DbConn::Postgres(pg) => diesel::insert_into(f::topic_follows)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg),
        DbConn::Sqlite(s) => diesel::insert_into(f::topic_follows)
            .values(row)
            .on_conflict_do_nothing()
            .execute(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;

    #[test]
    fn sqlite_write_transactions_nest_and_roll_back() {
        let mut c =
            DbConn::Sqlite(diesel::SqliteConnection::establish(":memory:").expect("memory db"));
        sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut c)
            .expect("table");
        let outcome: QueryResult<()> = write_transaction(&mut c, |c| {
            sql_query("INSERT INTO t VALUES (1)").execute(c)?;
            write_transaction(c, |c| {
                sql_query("INSERT INTO t VALUES (2)").execute(c).map(|_| ())
            })?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(outcome.is_err());
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let count = sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<Count>(&mut c)
            .expect("count");
        assert_eq!(count.n, 0);
        write_transaction(&mut c, |c| sql_query("INSERT INTO t VALUES (3)").execute(c))
            .expect("commit");
        let count = sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<Count>(&mut c)
            .expect("count");
        assert_eq!(count.n, 1);
    }
}
