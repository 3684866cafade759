//! The indexer task: applies search_changes in order to this node's index.
//!
//! On PostgreSQL a transaction may commit after a later one, so a sequence number can appear
//! behind one already applied; numbers missing from a batch are looked for again for a while
//! ("gaps"), and on start the indexer re-reads a stretch of the log behind its payload.
//! Re-applying a change is harmless: a topic is always indexed whole from the database.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use tokio::sync::watch;

use super::{IndexedTopic, SearchIndex};
use crate::db::schema::{brands, products, replies, search_changes, topics};
use crate::db::{Db, DbConn};
use crate::markdown;
use crate::model::{TopicId, search_change};

const BATCH: i64 = 500;
const POLL: Duration = Duration::from_millis(200);
/// How long a missing sequence number is waited for.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
/// How far behind its payload the indexer reads again after a start.
const START_LOOKBACK: i64 = 1000;
/// The most reply text one topic contributes.
const REPLIES_CHARS: usize = 100_000;

pub struct Indexer {
    pub db: Db,
    pub index: Arc<SearchIndex>,
    pub mail: crate::mail::Composer,
}

impl Indexer {
    /// Runs the indexer on a thread of its own, at a lower CPU priority than the threads
    /// that answer requests (indexing a burst of replies took both cores for half a second
    /// at a time, and the requests waiting for them showed it), until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (found, mut matches) = tokio::sync::mpsc::unbounded_channel();
        let (db, mail) = (self.db.clone(), self.mail.clone());
        let worker = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || {
                super::lower_priority();
                self.work(&stopped, &found)
            });
        let worker = match worker {
            Ok(worker) => worker,
            Err(e) => return tracing::error!(error = %e, "cannot start the search indexer"),
        };
        // monitors' matches are written here, at the priority of requests: a low-priority
        // thread holding the write lock would keep every writer waiting for its turn on a core
        loop {
            tokio::select! {
                Some(batch) = matches.recv() => record_matches(&db, &mail, batch).await,
                _ = shutdown.changed() => break,
            }
        }
        drop(stop);
        if tokio::task::spawn_blocking(move || worker.join())
            .await
            .is_err()
        {
            tracing::error!("search indexer panicked");
        }
    }

    /// Applies the log, pass after pass, until `stop` is dropped.
    fn work(self, stop: &std::sync::mpsc::Receiver<()>, found: &Matches) {
        use std::sync::mpsc::RecvTimeoutError;
        let mut applied = self.index.applied().unwrap_or(0);
        let mut from = (applied - START_LOOKBACK).max(0);
        let mut gaps: BTreeMap<i64, Instant> = BTreeMap::new();
        loop {
            let waiting: Vec<i64> = gaps.keys().copied().collect();
            let pass = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.pass(from, applied, &waiting, found)
            }));
            match pass {
                Ok(Ok(step)) => {
                    applied = step.applied;
                    from = applied;
                    for seq in step.found {
                        gaps.remove(&seq);
                    }
                    for seq in step.missing {
                        gaps.entry(seq).or_insert_with(Instant::now);
                    }
                    gaps.retain(|_, since| since.elapsed() < GAP_PATIENCE);
                    if step.more && stop.try_recv() == Err(std::sync::mpsc::TryRecvError::Empty) {
                        continue;
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "search indexer: will try again"),
                Err(_) => tracing::error!("search indexer panicked; will try again"),
            }
            if stop.recv_timeout(POLL) != Err(RecvTimeoutError::Timeout) {
                break;
            }
        }
    }

    fn pass(&self, from: i64, applied: i64, gaps: &[i64], found: &Matches) -> anyhow::Result<Step> {
        let mut c = self.db.get()?;
        let step = catch_up(&mut c, &self.index, from, applied, gaps)?;
        let matched = crate::service::monitor::matches_among(&mut c, &self.index, &step.indexed)?;
        if !matched.is_empty() {
            // the receiver is gone only at shutdown
            let _ = found.send(matched);
        }
        Ok(step)
    }
}

type Matches = tokio::sync::mpsc::UnboundedSender<Vec<(crate::model::monitor::Monitor, TopicId)>>;

async fn record_matches(
    db: &Db,
    mail: &crate::mail::Composer,
    matches: Vec<(crate::model::monitor::Monitor, TopicId)>,
) {
    let composer = mail.clone();
    let told = db
        .run(move |c| crate::service::monitor::record_matches(c, &composer, &matches))
        .await;
    match told {
        Ok(0) => {}
        Ok(_) => mail.wake(),
        Err(e) => tracing::warn!(error = %e, "search indexer: monitors' matches not recorded"),
    }
}

/// What one pass did.
pub struct Step {
    pub applied: i64,
    /// Gap numbers that turned up.
    pub found: Vec<i64>,
    /// Numbers missing between those read.
    pub missing: Vec<i64>,
    /// Whether a full batch was read (more may wait).
    pub more: bool,
    /// Topics now in the index (for the monitors).
    pub indexed: Vec<TopicId>,
}

/// Applies the changes after `from` (and any of the `gaps` that have appeared).
pub fn catch_up(
    c: &mut DbConn,
    index: &SearchIndex,
    from: i64,
    applied: i64,
    gaps: &[i64],
) -> anyhow::Result<Step> {
    let mut rows = search_change::after(c, from, BATCH)?;
    let mut found = vec![];
    if !gaps.is_empty() {
        let late: Vec<(i64, TopicId)> = search_changes::table
            .filter(search_changes::seq.eq_any(gaps))
            .select((search_changes::seq, search_changes::topic_id))
            .load(c)?;
        found = late.iter().map(|(s, _)| *s).collect();
        rows.extend(late);
    }
    let more = rows.len() as i64 >= BATCH;
    let mut missing = vec![];
    let mut expected = applied + 1;
    let mut seqs: Vec<i64> = rows
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s > applied)
        .collect();
    seqs.sort_unstable();
    for s in &seqs {
        missing.extend(expected..*s);
        expected = s + 1;
    }
    if rows.is_empty() {
        return Ok(Step {
            applied,
            found,
            missing,
            more: false,
            indexed: vec![],
        });
    }
    let last = seqs.last().copied().unwrap_or(applied).max(applied);
    let mut ids: Vec<TopicId> = rows.iter().map(|(_, t)| *t).collect();
    ids.sort();
    ids.dedup();
    let mut changes = Vec::with_capacity(ids.len());
    for id in ids {
        changes.push((id, document(c, id)?));
    }
    let indexed = changes
        .iter()
        .filter(|(_, doc)| doc.is_some())
        .map(|(id, _)| *id)
        .collect();
    index.apply(changes, last)?;
    Ok(Step {
        applied: last,
        found,
        missing,
        more,
        indexed,
    })
}

/// A topic as the index holds it, or None when it must not be found (hidden, merged, gone).
pub fn document(c: &mut DbConn, id: TopicId) -> anyhow::Result<Option<IndexedTopic>> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        bool,
        Option<TopicId>,
        chrono::NaiveDateTime,
        Option<String>,
        i64,
    );
    let row: Option<Row> = topics::table
        .inner_join(brands::table)
        .left_join(products::table.on(products::id.nullable().eq(topics::product_id)))
        .filter(topics::id.eq(id))
        .select((
            topics::kind,
            topics::status,
            topics::title,
            topics::body,
            brands::slug,
            topics::hidden,
            topics::duplicate_of,
            topics::created_at,
            products::slug.nullable(),
            brands::id,
        ))
        .first(c)
        .optional()?;
    let Some((
        kind,
        status,
        title,
        body,
        brand,
        hidden,
        duplicate_of,
        created_at,
        product,
        brand_id,
    )) = row
    else {
        return Ok(None);
    };
    if hidden || duplicate_of.is_some() {
        return Ok(None);
    }
    let bodies: Vec<String> = replies::table
        .filter(replies::topic_id.eq(id))
        .filter(replies::hidden.eq(false))
        .order(replies::id)
        .select(replies::body)
        .load(c)?;
    let mut text = String::new();
    for b in bodies {
        if text.len() >= REPLIES_CHARS {
            break;
        }
        text.push_str(&markdown::excerpt(&b, REPLIES_CHARS));
        text.push('\n');
    }
    Ok(Some(IndexedTopic {
        id,
        brand_id,
        brand,
        kind,
        status,
        product,
        title,
        body: markdown::excerpt(&body, 50_000),
        replies: text,
        created_at: created_at.and_utc().timestamp(),
    }))
}

/// `kotae reindex`: rebuilds the index from the database (the server stopped), ending at the
/// log's last change so the indexer carries on from there. Returns how many topics went in.
pub fn rebuild(c: &mut DbConn, index: &SearchIndex) -> anyhow::Result<usize> {
    let mut rebuild = Rebuild::start(c, index)?;
    rebuild.add_all(c)?;
    rebuild.finish()
}

/// A rebuild under way: topics go in uncommitted as they are added, and `finish` commits
/// them all at once, so a rebuild cut short leaves the index it was replacing.
pub struct Rebuild<'a> {
    index: &'a SearchIndex,
    /// The log's last change when the rebuild started: changes after it are applied again.
    last: i64,
    count: usize,
}

impl<'a> Rebuild<'a> {
    pub fn start(c: &mut DbConn, index: &'a SearchIndex) -> anyhow::Result<Rebuild<'a>> {
        let last = search_change::last(c)?;
        index.delete_all()?;
        Ok(Rebuild {
            index,
            last,
            count: 0,
        })
    }

    /// Adds these topics, as the database holds them now.
    pub fn add(&mut self, c: &mut DbConn, ids: &[TopicId]) -> anyhow::Result<()> {
        for id in ids {
            if let Some(doc) = document(c, *id)? {
                self.index.add(&doc)?;
                self.count += 1;
            }
        }
        Ok(())
    }

    /// Adds every topic in the database.
    pub fn add_all(&mut self, c: &mut DbConn) -> anyhow::Result<()> {
        let ids: Vec<TopicId> = topics::table.select(topics::id).order(topics::id).load(c)?;
        self.add(c, &ids)
    }

    /// Commits, merges the segments into one, and returns how many topics went in.
    pub fn finish(self) -> anyhow::Result<usize> {
        self.index.commit(self.last)?;
        self.index.compact()?;
        Ok(self.count)
    }
}
