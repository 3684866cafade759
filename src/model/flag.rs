//! Flags: members reporting posts to the brand's staff and the site admins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, FlagId, ReplyId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brands, flags, topics, users};

pub const REASONS: [&str; 4] = ["spam", "abuse", "off_topic", "other"];

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = flags)]
pub struct Flag {
    pub id: FlagId,
    pub brand_id: BrandId,
    pub topic_id: TopicId,
    pub reply_id: Option<ReplyId>,
    pub reason: String,
    pub note: String,
    pub state: String,
    pub created_at: NaiveDateTime,
}

/// A flag as the moderation queue shows it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct FlagView {
    pub flag: Flag,
    pub reporter_username: String,
    pub topic_title: String,
    pub topic_hidden: bool,
    pub brand_slug: String,
}

pub struct NewFlag<'a> {
    pub brand: BrandId,
    pub topic: TopicId,
    pub reply: Option<ReplyId>,
    pub reporter: UserId,
    pub reason: &'a str,
    pub note: &'a str,
}

/// Stores a flag unless this member already has an open one on this post.
pub fn insert(c: &mut DbConn, row: &NewFlag, at: NaiveDateTime) -> QueryResult<bool> {
    let mut same = flags::table
        .filter(flags::reporter_id.eq(row.reporter))
        .filter(flags::topic_id.eq(row.topic))
        .filter(flags::state.eq("open"))
        .into_boxed();
    same = match row.reply {
        Some(r) => same.filter(flags::reply_id.eq(r)),
        None => same.filter(flags::reply_id.is_null()),
    };
    if same
        .select(flags::id)
        .first::<FlagId>(c)
        .optional()?
        .is_some()
    {
        return Ok(false);
    }
    diesel::insert_into(flags::table)
        .values((
            flags::brand_id.eq(row.brand),
            flags::topic_id.eq(row.topic),
            flags::reply_id.eq(row.reply),
            flags::reporter_id.eq(row.reporter),
            flags::reason.eq(row.reason),
            flags::note.eq(row.note),
            flags::state.eq("open"),
            flags::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(true)
}

pub fn find(c: &mut DbConn, id: FlagId) -> QueryResult<Flag> {
    flags::table.find(id).select(Flag::as_select()).first(c)
}

/// Open flags, oldest first: one brand's, or every brand's for site admins.
pub fn open(c: &mut DbConn, brand: Option<BrandId>, limit: i64) -> QueryResult<Vec<FlagView>> {
    let mut query = flags::table
        .inner_join(topics::table)
        .inner_join(users::table.on(users::id.eq(flags::reporter_id)))
        .inner_join(brands::table.on(brands::id.eq(flags::brand_id)))
        .filter(flags::state.eq("open"))
        .into_boxed();
    if let Some(b) = brand {
        query = query.filter(flags::brand_id.eq(b));
    }
    query
        .order(flags::id)
        .limit(limit)
        .select((
            Flag::as_select(),
            users::username,
            topics::title,
            topics::hidden,
            brands::slug,
        ))
        .load(c)
}

/// Closes the open flags on one post (a topic when `reply` is None).
pub fn resolve_post(
    c: &mut DbConn,
    topic: TopicId,
    reply: Option<ReplyId>,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut target = flags::table
        .filter(flags::topic_id.eq(topic))
        .filter(flags::state.eq("open"))
        .into_boxed();
    target = match reply {
        Some(r) => target.filter(flags::reply_id.eq(r)),
        None => target.filter(flags::reply_id.is_null()),
    };
    let ids: Vec<FlagId> = target.select(flags::id).load(c)?;
    resolve(c, &ids, by, at)
}

pub fn resolve(
    c: &mut DbConn,
    ids: &[FlagId],
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        flags::table
            .filter(flags::id.eq_any(ids))
            .filter(flags::state.eq("open")),
    )
    .set((
        flags::state.eq("resolved"),
        flags::resolved_by.eq(by),
        flags::resolved_at.eq(at),
    ))
    .execute(c)
}
