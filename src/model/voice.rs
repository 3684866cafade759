//! Voices: items of a brand's external feeds that matched one of its monitors, waiting in
//! its staff's inbox until someone turns them into a topic or dismisses them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, FeedId, TopicId, UserId, VoiceId};
use crate::db::DbConn;
use crate::db::schema::{brand_feeds, voices};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = voices)]
pub struct Voice {
    pub id: VoiceId,
    pub feed_id: FeedId,
    pub brand_id: BrandId,
    pub guid: String,
    /// Plain text, taken out of the feed's markup.
    pub title: String,
    pub summary: String,
    pub link: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    /// The monitor's query it matched.
    pub matched: String,
    pub state: String,
    pub topic_id: Option<TopicId>,
    pub found_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

pub struct NewVoice<'a> {
    pub feed: FeedId,
    pub brand: BrandId,
    pub guid: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub link: Option<&'a str>,
    pub published_at: Option<NaiveDateTime>,
    pub matched: &'a str,
}

/// Keeps a matching item once: false when the feed's item was kept before.
pub fn insert(c: &mut DbConn, row: &NewVoice, at: NaiveDateTime) -> QueryResult<bool> {
    let values = (
        voices::feed_id.eq(row.feed),
        voices::brand_id.eq(row.brand),
        voices::guid.eq(row.guid),
        voices::title.eq(row.title),
        voices::summary.eq(row.summary),
        voices::link.eq(row.link),
        voices::published_at.eq(row.published_at),
        voices::matched.eq(row.matched),
        voices::state.eq("new"),
        voices::found_at.eq(at),
    );
    let inserted = match c {
        DbConn::Postgres(pg) => diesel::insert_into(voices::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConn::Sqlite(s) => diesel::insert_into(voices::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(s)?,
    };
    Ok(inserted == 1)
}

pub fn find(c: &mut DbConn, id: VoiceId) -> QueryResult<Voice> {
    voices::table.find(id).select(Voice::as_select()).first(c)
}

/// A voice with the title of the feed it came from.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct VoiceView {
    #[diesel(embed)]
    #[serde(flatten)]
    pub voice: Voice,
    pub feed_url: String,
    pub feed_title: String,
}

/// A brand's inbox in one state ("new" or "done"), newest first.
pub fn inbox(
    c: &mut DbConn,
    brand: BrandId,
    state: &str,
    limit: i64,
) -> QueryResult<Vec<VoiceView>> {
    voices::table
        .inner_join(brand_feeds::table)
        .filter(voices::brand_id.eq(brand))
        .filter(voices::state.eq(state))
        .order(voices::id.desc())
        .limit(limit)
        .select((Voice::as_select(), brand_feeds::url, brand_feeds::title))
        .load(c)
}

/// Marks a new voice done (dismissed, or turned into `topic`); false when it was done.
pub fn decide(
    c: &mut DbConn,
    id: VoiceId,
    by: UserId,
    topic: Option<TopicId>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(voices::table.find(id).filter(voices::state.eq("new")))
        .set((
            voices::state.eq("done"),
            voices::topic_id.eq(topic),
            voices::decided_by.eq(by),
            voices::decided_at.eq(at),
        ))
        .execute(c)?;
    Ok(changed == 1)
}
