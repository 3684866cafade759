//! The database: one connection type over SQLite and PostgreSQL, the pool, and the
//! bridge that moves every unit of work off the async executor.

pub mod aggregate;
pub mod backend;
pub mod copy;
mod group_commit;
pub mod migrate;
pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};

pub use backend::{Checkpoints, write_transaction};

use crate::error::{AppError, AppResult};

/// A connection to whichever backend the database URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a database URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// postgres:// and postgresql:// URLs are PostgreSQL; anything else is a SQLite path.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The pool, cheap to clone, shared by handlers and background tasks.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    /// One permit per pooled connection: work waits here, not in a blocking thread of its own
    /// (a burst of requests otherwise starts a thread each, and their memory stays).
    turns: Arc<tokio::sync::Semaphore>,
    pub backend: Backend,
}

#[derive(Debug)]
struct Pragmas(Checkpoints);

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, c: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        backend::prepare_connection(c, self.0).map_err(diesel::r2d2::Error::QueryError)
    }
}

impl Db {
    /// Opens the pool; the first connection is made at once so a bad URL fails start-up.
    pub fn open(url: &str, size: u32, checkpoints: Checkpoints) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
            // switch the file to WAL once, before the pool opens its connections side by side
            connect(url)?;
        }
        let manager = ConnectionManager::<DbConn>::new(sqlite_path(url));
        let pool = Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(15))
            .connection_customizer(Box::new(Pragmas(checkpoints)))
            .build(manager)
            .with_context(|| format!("cannot open the database at {}", redact(url)))?;
        let turns = Arc::new(tokio::sync::Semaphore::new(size as usize));
        Ok(Db {
            pool,
            turns,
            backend,
        })
    }

    /// Runs `work` with a pooled connection on a blocking thread.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let turn = self.turns.clone().acquire_owned().await;
        let turn = turn.map_err(|e| AppError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let mut c = pool.get().context("no database connection available")?;
            work(&mut c)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
    }

    /// The pool's size, connections open and idle ones, for /metrics.
    pub fn pool_use(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            self.pool.max_size(),
            state.connections,
            state.idle_connections,
        )
    }

    /// A connection for synchronous callers (commands, start-up).
    pub fn get(&self) -> anyhow::Result<diesel::r2d2::PooledConnection<ConnectionManager<DbConn>>> {
        self.pool.get().context("no database connection available")
    }
}

/// Opens one connection outside the pool (commands that run before the server).
pub fn connect(url: &str) -> anyhow::Result<DbConn> {
    let mut c = DbConn::establish(&sqlite_path(url))
        .with_context(|| format!("cannot open the database at {}", redact(url)))?;
    backend::prepare_connection(&mut c, Checkpoints::ByConnections)?;
    Ok(c)
}

/// diesel's SQLite driver takes a plain path; accept `sqlite://` and `sqlite:` prefixes too.
fn sqlite_path(url: &str) -> String {
    if Backend::of_url(url) == Backend::Postgres {
        return url.to_string();
    }
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
        .to_string()
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
