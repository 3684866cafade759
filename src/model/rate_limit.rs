//! Rate-limit buckets kept in the database, so every node of a cluster shares them.
//! Each bucket is a GCRA: one theoretical arrival time per key.

use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// At most `burst` events per `period_secs`, refilled evenly.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub burst: u32,
    pub period_secs: u64,
}

/// Counts one event against `key`; fails with RateLimited when the bucket is empty.
pub fn hit(c: &mut DbConn, key: &str, rule: Rule, now_ms: i64) -> AppResult<()> {
    let period_ms = i64::try_from(rule.period_secs * 1000).unwrap_or(i64::MAX);
    let interval_ms = period_ms / i64::from(rule.burst.max(1));
    db::write_transaction(c, |c| {
        let tat = db::backend::lock_rate_bucket(c, key)?
            .unwrap_or(0)
            .max(now_ms);
        let next = tat + interval_ms;
        if next - now_ms > period_ms {
            let wait_ms = next - now_ms - period_ms;
            return Err(AppError::RateLimited {
                retry_after_secs: (wait_ms as u64).div_ceil(1000).max(1),
            });
        }
        db::backend::store_rate_bucket(c, key, next)?;
        Ok(())
    })
}
