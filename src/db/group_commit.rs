//! SQLite's writers, committed together. SQLite lets one writer in at a time; while one
//! transaction runs, the others that arrive wait here, and the next thread to take the turn
//! runs all of them on its own connection in one transaction, each inside a savepoint of its
//! own, and commits once. A write that fails rolls back its own savepoint only; if the
//! transaction itself fails (the commit, or SQLite ending it on an I/O error), every write in
//! it fails, so none is acknowledged without being committed.
//!
//! Under load this saves, per write, a commit (the log frames of pages several writes share
//! are written once) and a hand-over of the lock from one sleeping thread to the next.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConn;

/// Runs `work` in a transaction of the group of writers to the database file of `c`.
pub fn run<T, E, F>(c: &mut DbConn, file: &str, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
    T: Send,
    E: From<DieselError> + Send,
{
    let group = group_of(file);
    let mut slot = Slot {
        work: Some(work),
        outcome: None,
    };
    // SAFETY: the slot outlives its use by other threads: this function returns only after
    // the job is marked done, and a leader touches a job only until it marks it done.
    let job = unsafe { Queued::new(&mut slot) };
    let mut state = group.lock();
    state.waiting.push(job);
    loop {
        if state.done.remove(&job.key()) {
            break;
        }
        if state.leading {
            state = group.done.wait(state).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        state.leading = true;
        let batch = std::mem::take(&mut state.waiting);
        drop(state);
        let ran = catch_unwind(AssertUnwindSafe(|| run_batch(c, &batch)));
        state = group.lock();
        if ran.is_err() {
            let error = failure("the group of writes stopped");
            for job in &batch {
                // SAFETY: as above; the owners still wait
                unsafe { job.fail(&error) };
            }
        }
        state.done.extend(batch.iter().map(|job| job.key()));
        state.leading = false;
        group.done.notify_all();
    }
    drop(state);
    match slot.outcome.take() {
        Some(Ok(result)) => result,
        Some(Err(panic)) => resume_unwind(panic),
        None => Err(E::from(failure("the write was not run"))),
    }
}

/// Runs `work` while no writer of this process to `file` holds the turn, holding it: writers
/// that arrive meanwhile wait and go on together after.
pub fn alone<T>(file: &str, work: impl FnOnce() -> T) -> T {
    let group = group_of(file);
    let mut state = group.lock();
    while state.leading {
        state = group.done.wait(state).unwrap_or_else(|e| e.into_inner());
    }
    state.leading = true;
    drop(state);
    let ran = catch_unwind(AssertUnwindSafe(work));
    let mut state = group.lock();
    state.leading = false;
    group.done.notify_all();
    drop(state);
    ran.unwrap_or_else(|panic| resume_unwind(panic))
}

/// The writers to one database file.
#[derive(Default)]
struct Group {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    waiting: Vec<Queued>,
    /// Whether a thread is running a batch now.
    leading: bool,
    /// Jobs run (or failed) whose owners have not yet looked.
    done: std::collections::HashSet<usize>,
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        // the state stays consistent across a panic: every change to it is one statement
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn group_of(file: &str) -> Arc<Group> {
    static GROUPS: Mutex<Option<HashMap<String, Arc<Group>>>> = Mutex::new(None);
    let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    groups
        .get_or_insert_with(HashMap::new)
        .entry(file.to_string())
        .or_default()
        .clone()
}

/// Runs every job of the batch in one transaction on `c`.
fn run_batch(c: &mut DbConn, batch: &[Queued]) {
    let DbConn::Sqlite(s) = c else {
        unreachable!("group commit is for SQLite")
    };
    if let Err(e) = AnsiTransactionManager::begin_transaction_sql(s, "BEGIN IMMEDIATE") {
        for job in batch {
            // SAFETY: the owners wait until the batch is marked done
            unsafe { job.fail(&e) };
        }
        return;
    }
    let mut broken = None;
    for job in batch {
        // SAFETY: as above
        unsafe { job.run(c) };
        let DbConn::Sqlite(s) = c else { unreachable!() };
        if depth(s) != 1 {
            // SQLite ended the transaction (an I/O error, a full disk) or a savepoint could
            // not be released: what ran before in this batch is gone too
            broken = Some(failure("the transaction ended before its commit"));
            break;
        }
    }
    let DbConn::Sqlite(s) = c else { unreachable!() };
    let ended = match broken {
        None => AnsiTransactionManager::commit_transaction(s),
        Some(error) => {
            while depth(s) > 0 {
                if AnsiTransactionManager::rollback_transaction(s).is_err() {
                    break;
                }
            }
            Err(error)
        }
    };
    if let Err(e) = ended {
        for job in batch {
            // SAFETY: as above
            unsafe { job.fail(&e) };
        }
    }
}

fn depth(s: &mut diesel::SqliteConnection) -> u32 {
    match AnsiTransactionManager::transaction_manager_status_mut(s).transaction_depth() {
        Ok(depth) => depth.map_or(0, |d| d.get()),
        // a broken manager: treat it as no transaction worth committing
        Err(_) => u32::MAX,
    }
}

fn failure(message: &str) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_string()))
}

/// One write and, once run, what came of it.
struct Slot<F, T, E> {
    work: Option<F>,
    outcome: Option<std::thread::Result<Result<T, E>>>,
}

/// What the leader of a batch does with a job, whatever its types.
trait Job {
    /// Runs the work in a savepoint of the open transaction.
    fn run(&mut self, c: &mut DbConn);
    /// Fails the job with `error` (the transaction it ran in did not commit) unless it has
    /// failed already (its own error or panic tells more).
    fn fail(&mut self, error: &DieselError);
}

impl<F, T, E> Job for Slot<F, T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
    T: Send,
    E: From<DieselError> + Send,
{
    fn run(&mut self, c: &mut DbConn) {
        let Some(work) = self.work.take() else {
            return;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| c.transaction(work)));
        if outcome.is_err()
            && let DbConn::Sqlite(s) = c
        {
            // the work panicked inside its savepoint: undo it, keep the others
            while (2..u32::MAX).contains(&depth(s)) {
                if AnsiTransactionManager::rollback_transaction(s).is_err() {
                    break;
                }
            }
        }
        self.outcome = Some(outcome);
    }

    fn fail(&mut self, error: &DieselError) {
        self.work = None;
        if matches!(self.outcome, None | Some(Ok(Ok(_)))) {
            self.outcome = Some(Ok(Err(E::from(copy(error)))));
        }
    }
}

fn copy(error: &DieselError) -> DieselError {
    failure(&error.to_string())
}

/// A job waiting in a group, owned by a thread that waits for it.
#[derive(Clone, Copy)]
struct Queued(*mut (dyn Job + 'static));

// SAFETY: the job's work, results and errors are Send (see `run`), and only one thread at
// a time touches a job: the leader until it marks the job done, then its owner.
unsafe impl Send for Queued {}

impl Queued {
    /// # Safety
    /// The slot must stay alive, and untouched by its owner, until the job is marked done.
    unsafe fn new<'a, F, T, E>(slot: &'a mut Slot<F, T, E>) -> Queued
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
        T: Send,
        E: From<DieselError> + Send,
    {
        let job: *mut (dyn Job + 'a) = slot;
        // SAFETY: erases the lifetime only; the caller keeps the slot alive (see above)
        Queued(unsafe { std::mem::transmute::<*mut (dyn Job + 'a), *mut (dyn Job + 'static)>(job) })
    }

    fn key(&self) -> usize {
        self.0 as *mut () as usize
    }

    unsafe fn run(&self, c: &mut DbConn) {
        unsafe { (*self.0).run(c) }
    }

    unsafe fn fail(&self, error: &DieselError) {
        unsafe { (*self.0).fail(error) }
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_query;

    use super::*;
    use crate::db::write_transaction;

    fn open(path: &std::path::Path) -> DbConn {
        let mut c = DbConn::Sqlite(
            diesel::SqliteConnection::establish(path.to_str().expect("path")).expect("open"),
        );
        sql_query("PRAGMA journal_mode = WAL")
            .execute(&mut c)
            .expect("wal");
        sql_query("PRAGMA busy_timeout = 10000")
            .execute(&mut c)
            .expect("busy");
        c
    }

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        x: i64,
    }

    /// Eight threads write at once: each write's own failure or panic undoes that write
    /// alone, and every write acknowledged is there.
    #[test]
    fn writes_waiting_together_commit_or_fail_one_by_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        sql_query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&mut open(&path))
            .expect("table");
        let threads: Vec<_> = (0..8i64)
            .map(|thread| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut c = open(&path);
                    let mut kept = vec![];
                    for i in 0..60i64 {
                        let x = thread * 1000 + i;
                        let write = |c: &mut DbConn| -> QueryResult<i64> {
                            sql_query(format!("INSERT INTO t VALUES ({x})")).execute(c)?;
                            // a nested write joins the same savepoint
                            write_transaction(c, |c| {
                                sql_query(format!("INSERT INTO t VALUES ({})", x + 500)).execute(c)
                            })?;
                            match i % 10 {
                                3 => Err(diesel::result::Error::RollbackTransaction),
                                7 => panic!("a bug in one write"),
                                _ => Ok(x),
                            }
                        };
                        let outcome =
                            catch_unwind(AssertUnwindSafe(|| write_transaction(&mut c, write)));
                        match (i % 10, outcome) {
                            (3, Ok(Err(_))) | (7, Err(_)) => {}
                            (_, Ok(Ok(got))) => {
                                assert_eq!(got, x);
                                kept.extend([x, x + 500]);
                            }
                            (_, other) => panic!("write {x}: unexpected {:?}", other.is_ok()),
                        }
                    }
                    kept
                })
            })
            .collect();
        let mut kept: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("thread"))
            .collect();
        kept.sort_unstable();
        let found: Vec<i64> = sql_query("SELECT x FROM t ORDER BY x")
            .load::<Row>(&mut open(&path))
            .expect("rows")
            .into_iter()
            .map(|r| r.x)
            .collect();
        assert_eq!(found.len(), 8 * 48 * 2);
        assert_eq!(found, kept);
    }

    /// A write whose transaction cannot commit is not acknowledged, nor are the others run
    /// with it.
    #[test]
    fn a_failed_commit_fails_every_write_of_the_batch() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let mut c = open(&path);
        sql_query("CREATE TABLE p (id INTEGER PRIMARY KEY)")
            .execute(&mut c)
            .expect("table");
        sql_query("CREATE TABLE r (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)")
            .execute(&mut c)
            .expect("table");
        sql_query("PRAGMA foreign_keys = ON")
            .execute(&mut c)
            .expect("keys");
        // a deferred foreign key fails only at the commit
        let outcome: QueryResult<()> = write_transaction(&mut c, |c| {
            sql_query("INSERT INTO p VALUES (1)").execute(c)?;
            sql_query("INSERT INTO r VALUES (2)").execute(c)?;
            Ok(())
        });
        assert!(outcome.is_err(), "the commit fails");
        let count = sql_query("SELECT count(*) AS x FROM p")
            .get_result::<Row>(&mut c)
            .expect("count");
        assert_eq!(count.x, 0);
        write_transaction(&mut c, |c| sql_query("INSERT INTO p VALUES (3)").execute(c))
            .expect("the next write commits");
    }

    /// While the turn is held alone, a writer of the same file waits, then goes on.
    #[test]
    fn writers_wait_while_the_turn_is_held() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let mut c = open(&path);
        sql_query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&mut c)
            .expect("table");
        let writer = crate::db::backend::between_writes(&mut c, |c| {
            let (ready, waiting) = std::sync::mpsc::channel();
            let path = path.clone();
            let writer = std::thread::spawn(move || {
                let mut c = open(&path);
                ready.send(()).expect("send");
                write_transaction(&mut c, |c| sql_query("INSERT INTO t VALUES (1)").execute(c))
            });
            waiting.recv().expect("writer started");
            std::thread::sleep(std::time::Duration::from_millis(100));
            let rows = sql_query("SELECT count(*) AS x FROM t").get_result::<Row>(c)?;
            assert_eq!(rows.x, 0, "the writer waits for the turn");
            Ok(writer)
        })
        .expect("held");
        writer.join().expect("thread").expect("the write goes on");
        let rows = sql_query("SELECT count(*) AS x FROM t")
            .get_result::<Row>(&mut c)
            .expect("count");
        assert_eq!(rows.x, 1);
    }
}
