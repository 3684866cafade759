//! The feed poller: reads each brand's external feeds every KOTAE_FEED_INTERVAL seconds,
//! politely (conditional GET with the last answer's ETag and Last-Modified; after failures
//! the next look waits twice as long each time, up to a day), bounded (2 MiB, 200 items,
//! the outbound client's timeouts, no private addresses unless allowed), and keeps the
//! items that match the brand's monitors as voices. Several nodes share the work: a feed is
//! leased to one at a time.

use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::watch;

use crate::db::Db;
use crate::model::feed::{self, Feed};
use crate::model::now;
use crate::outbound::{self, Fetched, Validators};
use crate::service::voice;

const FEED_MAX: u64 = 2 * 1024 * 1024;
/// Covers a whole batch of slow feeds (each read is bounded by the client's 10 s).
const LEASE: Duration = Duration::from_secs(180);
const BATCH: i64 = 10;
const MAX_WAIT: chrono::Duration = chrono::Duration::hours(24);
/// Even with a long interval, look for newly added feeds this often.
const TICK: Duration = Duration::from_secs(5);

pub struct FeedPoller {
    pub db: Db,
    pub client: outbound::Client,
    pub every: Duration,
}

/// What one look at a feed came to.
enum Looked {
    Unchanged,
    Read(Option<String>, Vec<voice::Item>, Validators),
    Failed(String),
}

impl FeedPoller {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.poll_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "feed poller: will try again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK.min(self.every)) => {}
                _ = shutdown.changed() => break,
            }
        }
    }

    async fn poll_due(&self) -> anyhow::Result<usize> {
        let at = now();
        let lease_until = at + chrono::Duration::from_std(LEASE)?;
        let due = self
            .db
            .run(move |c| Ok(feed::claim_due(c, at, lease_until, BATCH)?))
            .await?;
        let count = due.len();
        for found in due {
            self.poll_one(found).await?;
        }
        Ok(count)
    }

    async fn poll_one(&self, found: Feed) -> anyhow::Result<()> {
        let client = self.client.clone();
        let (url, validators) = (
            found.url.clone(),
            Validators {
                etag: found.etag.clone(),
                last_modified: found.last_modified.clone(),
            },
        );
        let looked = tokio::task::spawn_blocking(move || look(&client, &url, &validators)).await?;
        let every = chrono::Duration::from_std(self.every)?;
        let (id, brand, failures) = (found.id, found.brand_id, found.failures);
        let kept = self
            .db
            .run(move |c| match looked {
                Looked::Unchanged => {
                    let validators = (found.etag.as_deref(), found.last_modified.as_deref());
                    feed::polled(c, id, validators, None, now() + every)?;
                    Ok(0)
                }
                Looked::Read(title, items, fresh) => {
                    let kept = voice::take_items(c, brand, id, &items)?;
                    let validators = (fresh.etag.as_deref(), fresh.last_modified.as_deref());
                    feed::polled(c, id, validators, title.as_deref(), now() + every)?;
                    Ok(kept)
                }
                Looked::Failed(why) => {
                    tracing::info!(feed = %id, error = %why, "feed not read");
                    feed::failed(c, id, &why, backoff(every, failures))?;
                    Ok(0)
                }
            })
            .await?;
        if kept > 0 {
            tracing::info!(feed = %found.id, kept, "feed items matched monitors");
        }
        Ok(())
    }
}

/// When to look again after the failure that follows `failures` others.
fn backoff(every: chrono::Duration, failures: i32) -> NaiveDateTime {
    let wait = every * 2i32.pow(failures.clamp(0, 16) as u32 + 1);
    now() + wait.min(MAX_WAIT)
}

fn look(client: &outbound::Client, url: &str, validators: &Validators) -> Looked {
    match client.get_feed(url, validators, FEED_MAX) {
        Ok(Fetched::NotModified) => Looked::Unchanged,
        Ok(Fetched::Body(bytes, fresh)) => match voice::read_items(&bytes) {
            Some((title, items)) => Looked::Read(title, items, fresh),
            None => Looked::Failed("the answer is not an RSS, Atom or JSON feed".into()),
        },
        Err(why) => Looked::Failed(why),
    }
}
