//! Official answers waiting for a supervisor: pending until approved (then they become a
//! reply and the row goes) or returned to their author with a note.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, PendingReplyId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{pending_replies, topics, users};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = pending_replies)]
pub struct PendingReply {
    pub id: PendingReplyId,
    pub topic_id: TopicId,
    pub brand_id: BrandId,
    pub author_id: UserId,
    pub body: String,
    pub official_answer: bool,
    pub verified_version: Option<String>,
    pub review_at: Option<NaiveDateTime>,
    pub state: String,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// A waiting answer with its topic and author, for the approvals page.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct PendingView {
    pub pending: PendingReply,
    pub topic_title: String,
    pub author_username: String,
    pub author_name: String,
}

pub struct NewPending<'a> {
    pub topic: TopicId,
    pub brand: BrandId,
    pub author: UserId,
    pub body: &'a str,
    pub official_answer: bool,
    pub verified_version: Option<&'a str>,
    pub review_at: Option<NaiveDateTime>,
}

pub fn insert(c: &mut DbConn, row: &NewPending, at: NaiveDateTime) -> QueryResult<PendingReplyId> {
    diesel::insert_into(pending_replies::table)
        .values((
            pending_replies::topic_id.eq(row.topic),
            pending_replies::brand_id.eq(row.brand),
            pending_replies::author_id.eq(row.author),
            pending_replies::body.eq(row.body),
            pending_replies::official_answer.eq(row.official_answer),
            pending_replies::verified_version.eq(row.verified_version),
            pending_replies::review_at.eq(row.review_at),
            pending_replies::state.eq("pending"),
            pending_replies::created_at.eq(at),
        ))
        .returning(pending_replies::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: PendingReplyId) -> QueryResult<PendingReply> {
    pending_replies::table
        .find(id)
        .select(PendingReply::as_select())
        .first(c)
}

/// A brand's answers in one state (all authors), or one author's, newest last.
pub fn list(
    c: &mut DbConn,
    brand: BrandId,
    author: Option<UserId>,
    limit: i64,
) -> QueryResult<Vec<PendingView>> {
    let mut query = pending_replies::table
        .inner_join(topics::table.on(topics::id.eq(pending_replies::topic_id)))
        .inner_join(users::table.on(users::id.eq(pending_replies::author_id)))
        .filter(pending_replies::brand_id.eq(brand))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(a) = author {
        query = query.filter(pending_replies::author_id.eq(a));
    }
    query
        .order(pending_replies::id)
        .limit(limit)
        .select((
            PendingReply::as_select(),
            topics::title,
            users::username,
            users::display_name,
        ))
        .load(c)
}

pub fn count_waiting(c: &mut DbConn, brand: BrandId) -> QueryResult<i64> {
    pending_replies::table
        .filter(pending_replies::brand_id.eq(brand))
        .filter(pending_replies::state.eq("pending"))
        .count()
        .get_result(c)
}

/// Sends a pending answer back with a note; false when it was not pending any more.
pub fn send_back(
    c: &mut DbConn,
    id: PendingReplyId,
    note: &str,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        pending_replies::table
            .find(id)
            .filter(pending_replies::state.eq("pending")),
    )
    .set((
        pending_replies::state.eq("returned"),
        pending_replies::note.eq(note),
        pending_replies::decided_by.eq(by),
        pending_replies::decided_at.eq(at),
    ))
    .execute(c)?;
    Ok(changed == 1)
}

pub fn delete(c: &mut DbConn, id: PendingReplyId) -> QueryResult<usize> {
    diesel::delete(pending_replies::table.find(id)).execute(c)
}
