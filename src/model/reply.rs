//! Replies to topics and the "helpful" votes they earn.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{ReplyId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{helpful_votes, replies, users};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = replies)]
pub struct Reply {
    pub id: ReplyId,
    pub topic_id: TopicId,
    pub author_id: UserId,
    pub body: String,
    pub body_html: String,
    pub official: bool,
    pub helpful_count: i32,
    pub created_at: NaiveDateTime,
    /// The product version an official answer was verified for, and when to check it again.
    pub verified_version: Option<String>,
    pub review_at: Option<NaiveDateTime>,
}

/// A reply with who wrote it, as the topic page shows it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ReplyView {
    pub reply: Reply,
    pub author_username: String,
    pub author_name: String,
    pub author_points: (i32, i32),
}

pub fn insert(
    c: &mut DbConn,
    topic: TopicId,
    author: UserId,
    body: &str,
    body_html: &str,
    official: bool,
    at: NaiveDateTime,
) -> QueryResult<ReplyId> {
    diesel::insert_into(replies::table)
        .values((
            replies::topic_id.eq(topic),
            replies::author_id.eq(author),
            replies::body.eq(body),
            replies::body_html.eq(body_html),
            replies::official.eq(official),
            replies::created_at.eq(at),
        ))
        .returning(replies::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: ReplyId) -> QueryResult<Reply> {
    replies::table
        .find(id)
        .filter(replies::hidden.eq(false))
        .select(Reply::as_select())
        .first(c)
}

/// The visible replies of a topic, oldest first, with authors: one query however many.
pub fn of_topic(c: &mut DbConn, topic: TopicId, limit: i64) -> QueryResult<Vec<ReplyView>> {
    since(c, topic, ReplyId(0), limit)
}

/// Replies from `from` on (inclusive), oldest first, up to `limit`, with their authors.
pub fn since(
    c: &mut DbConn,
    topic: TopicId,
    from: ReplyId,
    limit: i64,
) -> QueryResult<Vec<ReplyView>> {
    replies::table
        .inner_join(users::table)
        .filter(
            replies::topic_id
                .eq(topic)
                .and(replies::hidden.eq(false))
                .and(replies::id.ge(from)),
        )
        .order(replies::id)
        .limit(limit)
        .select((
            Reply::as_select(),
            users::username,
            users::display_name,
            (users::helpful_received, users::accepted_answers),
        ))
        .load(c)
}

/// Which of `replies` the user found helpful.
pub fn helpful_by(c: &mut DbConn, user: UserId, among: &[ReplyId]) -> QueryResult<Vec<ReplyId>> {
    helpful_votes::table
        .filter(
            helpful_votes::user_id
                .eq(user)
                .and(helpful_votes::reply_id.eq_any(among)),
        )
        .select(helpful_votes::reply_id)
        .load(c)
}

/// Records a vote once; returns whether this call added it.
pub fn add_helpful(
    c: &mut DbConn,
    reply: ReplyId,
    user: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let added = crate::db::backend::insert_ignoring_duplicate_vote(c, reply, user, at)? == 1;
    if added {
        diesel::update(replies::table.find(reply))
            .set(replies::helpful_count.eq(replies::helpful_count + 1))
            .execute(c)?;
    }
    Ok(added)
}

pub fn helpful_count(c: &mut DbConn, reply: ReplyId) -> QueryResult<i32> {
    replies::table
        .find(reply)
        .select(replies::helpful_count)
        .first(c)
}

/// Answers a member wrote (for the profile), newest first.
pub fn by_author(
    c: &mut DbConn,
    author: UserId,
    limit: i64,
) -> QueryResult<Vec<(Reply, String, String, String)>> {
    use crate::db::schema::{brands, topics};
    replies::table
        .inner_join(topics::table.inner_join(brands::table))
        .filter(
            replies::author_id
                .eq(author)
                .and(replies::hidden.eq(false))
                .and(topics::hidden.eq(false)),
        )
        .order(replies::id.desc())
        .limit(limit)
        .select((
            Reply::as_select(),
            topics::title,
            brands::slug,
            topics::kind,
        ))
        .load(c)
}

/// A reply whether hidden or not, with its hidden flag: for moderators.
pub fn find_any(c: &mut DbConn, id: ReplyId) -> QueryResult<(Reply, bool)> {
    replies::table
        .find(id)
        .select((Reply::as_select(), replies::hidden))
        .first(c)
}

pub fn set_hidden(c: &mut DbConn, id: ReplyId, hidden: bool) -> QueryResult<()> {
    diesel::update(replies::table.find(id))
        .set(replies::hidden.eq(hidden))
        .execute(c)?;
    Ok(())
}

/// Hides every reply a member wrote.
pub fn hide_by_author(c: &mut DbConn, author: UserId) -> QueryResult<usize> {
    diesel::update(replies::table.filter(replies::author_id.eq(author)))
        .set(replies::hidden.eq(true))
        .execute(c)
}

pub fn set_verification(
    c: &mut DbConn,
    id: ReplyId,
    version: Option<&str>,
    review_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(replies::table.find(id))
        .set((
            replies::verified_version.eq(version),
            replies::review_at.eq(review_at),
        ))
        .execute(c)?;
    Ok(())
}

/// An official answer due for review, with its topic.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ReviewItem {
    pub reply_id: ReplyId,
    pub topic_id: TopicId,
    pub topic_title: String,
    pub verified_version: Option<String>,
    pub review_at: Option<NaiveDateTime>,
    pub author_name: String,
}

/// A brand's visible official answers whose review date is past, oldest date first.
pub fn due_for_review(
    c: &mut DbConn,
    brand: super::BrandId,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ReviewItem>> {
    use crate::db::schema::topics;
    replies::table
        .inner_join(topics::table.on(topics::id.eq(replies::topic_id)))
        .inner_join(users::table.on(users::id.eq(replies::author_id)))
        .filter(replies::review_at.le(now))
        .filter(topics::brand_id.eq(brand))
        .filter(replies::hidden.eq(false))
        .filter(replies::official.eq(true))
        .filter(topics::hidden.eq(false))
        .order((replies::review_at.asc(), replies::id.asc()))
        .limit(limit)
        .select((
            replies::id,
            topics::id,
            topics::title,
            replies::verified_version,
            replies::review_at,
            users::display_name,
        ))
        .load(c)
}
