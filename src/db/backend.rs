//! The few things SQLite and PostgreSQL do differently, both arms side by side.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_query;

use super::DbConn;
use super::schema::{outbox_emails, rate_limits};

/// Milliseconds a SQLite writer waits for the lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// Settings every new connection gets: WAL, a busy timeout and foreign keys on SQLite.
pub fn prepare_connection(c: &mut DbConn) -> QueryResult<()> {
    match c {
        DbConn::Sqlite(c) => {
            sql_query(format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")).execute(c)?;
            sql_query("PRAGMA journal_mode = WAL").execute(c)?;
            sql_query("PRAGMA synchronous = NORMAL").execute(c)?;
            sql_query("PRAGMA foreign_keys = ON").execute(c)?;
            Ok(())
        }
        DbConn::Postgres(c) => {
            sql_query("SET TIME ZONE 'UTC'").execute(c)?;
            Ok(())
        }
    }
}

/// Runs `work` in a transaction that may write. On SQLite it begins IMMEDIATE, taking the
/// write lock up front: a deferred transaction that upgrades later skips the busy timeout
/// and fails with "database is locked".
pub fn write_transaction<T, E, F>(c: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match c {
        DbConn::Postgres(_) => c.transaction(work),
        DbConn::Sqlite(s) => {
            AnsiTransactionManager::begin_transaction_sql(s, "BEGIN IMMEDIATE")?;
            let outcome = work(c);
            let DbConn::Sqlite(s) = c else {
                unreachable!("the connection cannot change backend inside a transaction")
            };
            match outcome {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(s)?;
                    Ok(value)
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(s)?;
                    Err(e)
                }
            }
        }
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
