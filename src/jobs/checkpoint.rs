//! SQLite's write-ahead log copied back into the database file, and started over, by a thread
//! of its own, off the writers' path.
//!
//! Left to the connections, the commit that crosses SQLite's threshold checkpoints itself with
//! this process's writers' turn held, two fsyncs inside (5 to 60 ms on this machine while the
//! search index writes), and every writer queues behind it. Under steady load the log never
//! starts over by itself either: it can only when no reader uses it, and one always does, so
//! past the threshold every commit checkpointed.
//!
//! Here the log is copied every 200 ms without stopping anyone, and the copied pages are
//! flushed to disk at once; once the log is long, the writers are held for the few
//! milliseconds it takes to copy the rest and start it over.

use std::fs::File;
use std::time::{Duration, Instant};

use diesel::sql_types::Integer;
use diesel::{QueryableByName, RunQueryDsl};
use tokio::sync::watch;

use crate::db::backend::database_file;
use crate::db::{Backend, DbConn};

const EVERY: Duration = Duration::from_millis(200);

/// Log length (4 KiB pages, so 32 MiB) past which the checkpointer starts the log over, with
/// the writers' turn held for a few milliseconds (2 to 19 ms measured). Under 500 replies/s
/// that is about once a second; replies' p99 was 23 ms with this limit, 27-36 ms at 64 MiB
/// and 45-72 ms at 256 MiB. At ordinary rates the log starts over by itself between writes.
pub const RESTART_AT_PAGES: u32 = 8_192;

/// How long starting over waits for the readers still using the log, with the turn held.
const READERS_WAIT: Duration = Duration::from_millis(10);

/// The least time between two restarts, or tries at one (readers can keep it from finishing).
const RESTART_SPACING: Duration = Duration::from_secs(1);

/// Starts the checkpointer on SQLite (PostgreSQL needs none); it stops with `stopped`.
pub fn start(
    url: &str,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<Option<std::thread::JoinHandle<()>>> {
    if Backend::of_url(url) != Backend::Sqlite {
        return Ok(None);
    }
    let (mut c, file) = open(url)?;
    let thread = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut last_try = None;
            while !*stopped.borrow_and_update() {
                std::thread::sleep(EVERY);
                if let Err(e) = turn(&mut c, file, &mut last_try) {
                    tracing::warn!(error = %e, "SQLite checkpoint failed; trying again");
                }
            }
        })?;
    Ok(Some(thread))
}

/// The checkpointer's connection, and the database file to flush.
fn open(url: &str) -> anyhow::Result<(DbConn, &'static File)> {
    let mut c = crate::db::connect(url)?;
    // no busy handler: its sleeps grow to 100 ms; `restart` waits in short steps instead
    diesel::sql_query("PRAGMA busy_timeout = 0").execute(&mut c)?;
    let DbConn::Sqlite(s) = &mut c else {
        anyhow::bail!("the checkpointer is for SQLite")
    };
    let file = never_closed(&database_file(s)?)?;
    Ok((c, file))
}

/// The database file, opened for `sync_data`. It stays open: closing any descriptor of a file
/// releases every POSIX lock this process holds on it, SQLite's own connections' included.
fn never_closed(path: &str) -> std::io::Result<&'static File> {
    Ok(Box::leak(Box::new(File::open(path)?)))
}

/// What `PRAGMA wal_checkpoint` answers.
#[derive(QueryableByName)]
struct Progress {
    /// 1 when readers or another process kept a restart from finishing.
    #[diesel(sql_type = Integer)]
    busy: i32,
    /// Pages in the log.
    #[diesel(sql_type = Integer)]
    log: i32,
}

/// Copies what the log holds back into the file without waiting for readers or writers
/// (what readers still need stays in the log until the next turn), then starts the log over
/// if it grew too long.
fn turn(c: &mut DbConn, file: &File, last_try: &mut Option<Instant>) -> anyhow::Result<()> {
    let copied = copy(c, file)?;
    let tried_lately = last_try.is_some_and(|at| at.elapsed() < RESTART_SPACING);
    if copied.log < RESTART_AT_PAGES as i32 || tried_lately {
        return Ok(());
    }
    *last_try = Some(Instant::now());
    // once more, so that only what is written meanwhile is left for the writers' turn
    copy(c, file)?;
    let restarted = crate::db::backend::between_writes(c, restart)?;
    if restarted.busy != 0 {
        tracing::debug!(
            pages = copied.log,
            "SQLite log not started over: readers still use it"
        );
    }
    Ok(())
}

/// A passive checkpoint, then the copied pages flushed to disk: SQLite flushes them only
/// when it copied the whole log, which under load is rare, and until then they pile up
/// for the restart to flush with the writers held (120 ms for 6 s of them).
fn copy(c: &mut DbConn, file: &File) -> anyhow::Result<Progress> {
    let copied = checkpoint(c, "PASSIVE")?;
    file.sync_data()?;
    Ok(copied)
}

/// Copies what is left, and waits until no reader uses the log, so that the next write starts
/// it over; tries again while readers that began before the last commit still use it (they
/// finish within milliseconds; readers that begin once everything is copied no longer read
/// the log, so they do not hold it up).
fn restart(c: &mut DbConn) -> diesel::QueryResult<Progress> {
    let started = Instant::now();
    loop {
        let progress = checkpoint(c, "RESTART")?;
        if progress.busy == 0 || started.elapsed() >= READERS_WAIT {
            return Ok(progress);
        }
        std::thread::sleep(Duration::from_micros(250));
    }
}

fn checkpoint(c: &mut DbConn, mode: &str) -> diesel::QueryResult<Progress> {
    diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(c)
}

#[cfg(test)]
mod tests {
    use diesel::sql_query;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(c: &mut DbConn) -> i64 {
        sql_query("SELECT count(*) AS n FROM t")
            .get_result::<Count>(c)
            .expect("count")
            .n
    }

    /// A database whose log holds more pages than the restart limit, the checkpointer's
    /// connection to it and its file, and a writer's connection.
    fn long_log(dir: &std::path::Path) -> (DbConn, &'static File, DbConn) {
        let url = dir.join("t.db").to_str().expect("path").to_string();
        let mut writer = crate::db::connect(&url).expect("open");
        sql_query("CREATE TABLE t (b BLOB)")
            .execute(&mut writer)
            .expect("table");
        // a page each, 36 MiB: past the limit, short of the connections' own threshold
        sql_query(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
             INSERT INTO t SELECT randomblob(3900) FROM n",
            RESTART_AT_PAGES + 800
        ))
        .execute(&mut writer)
        .expect("rows");
        let (c, file) = open(&url).expect("checkpointer");
        (c, file, writer)
    }

    fn log_pages(c: &mut DbConn) -> i32 {
        checkpoint(c, "PASSIVE").expect("checkpoint").log
    }

    fn write(c: &mut DbConn) {
        sql_query("INSERT INTO t VALUES (x'00')")
            .execute(c)
            .expect("a write");
    }

    #[test]
    fn a_long_log_is_copied_and_the_next_write_starts_it_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut c, file, mut writer) = long_log(dir.path());
        assert!(log_pages(&mut c) > RESTART_AT_PAGES as i32);
        turn(&mut c, file, &mut None).expect("turn");
        write(&mut writer);
        assert!(log_pages(&mut c) < 10, "the log started over");
        assert_eq!(count(&mut c), i64::from(RESTART_AT_PAGES + 801));
    }

    /// A reader still using the log keeps it from starting over; the writers are held only
    /// for a bounded time, and once the reader ends the log starts over.
    #[test]
    fn a_reader_using_the_log_delays_the_restart_without_holding_writers_long() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut c, file, mut writer) = long_log(dir.path());
        let mut reader =
            crate::db::connect(dir.path().join("t.db").to_str().expect("path")).expect("open");
        sql_query("BEGIN").execute(&mut reader).expect("begin");
        let seen = count(&mut reader);
        write(&mut writer);
        let mut last_try = None;
        let started = Instant::now();
        turn(&mut c, file, &mut last_try).expect("turn");
        let held = started.elapsed();
        assert!(held < Duration::from_millis(500), "bounded: {held:?}");
        write(&mut writer);
        assert!(
            log_pages(&mut c) > RESTART_AT_PAGES as i32,
            "not started over"
        );
        assert_eq!(count(&mut reader), seen, "the reader's snapshot is intact");
        sql_query("COMMIT").execute(&mut reader).expect("end");
        // within the spacing no restart is tried, but with no reader left the copy reaches
        // the end of the log, and the next write starts it over by itself
        turn(&mut c, file, &mut last_try).expect("turn");
        write(&mut writer);
        assert!(log_pages(&mut c) < 10, "started over once the reader ended");
        assert_eq!(count(&mut c), seen + 3);
    }
}
