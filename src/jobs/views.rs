//! Topic view counts without a write per view: counted in memory, added to the database
//! every few seconds in one transaction, and once more at shutdown.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::db::{self, Db};
use crate::model::{TopicId, topic};

const FLUSH_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<TopicId, i64>>,
}

impl ViewCounter {
    pub fn add(&self, id: TopicId) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(id).or_insert(0) += 1;
    }

    fn take(&self) -> HashMap<TopicId, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Writes what was counted; on failure the counts go back to be tried again.
    pub async fn flush(&self, db: &Db) {
        let counts = self.take();
        if counts.is_empty() {
            return;
        }
        let batch = counts.clone();
        let written = db
            .run(move |c| {
                db::write_transaction(c, |c| {
                    for (id, views) in &batch {
                        topic::add_views(c, *id, *views)?;
                    }
                    Ok(())
                })
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(error = %e, "view counts not written; keeping them for the next try");
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for (id, views) in counts {
                *pending.entry(id).or_insert(0) += views;
            }
        }
    }

    pub async fn run(self: std::sync::Arc<Self>, db: Db, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(FLUSH_EVERY) => self.flush(&db).await,
                _ = shutdown.changed() => break,
            }
        }
        self.flush(&db).await;
    }
}
