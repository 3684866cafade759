//! Migrations embedded in the binary, one folder per backend, applied at start and by
//! `kotae migrate`.

use anyhow::anyhow;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConn, backend};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies pending migrations and returns the names of those applied.
pub fn run(c: &mut DbConn) -> anyhow::Result<Vec<String>> {
    backend::with_migration_lock(c, |c| {
        let applied = match c {
            DbConn::Sqlite(s) => s.run_pending_migrations(SQLITE),
            DbConn::Postgres(p) => p.run_pending_migrations(POSTGRES),
        }
        .map_err(|e| anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
}
