//! Who follows a topic, and which replies each follower has not been mailed yet.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{ReplyId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::topic_follows;

pub fn follows(c: &mut DbConn, topic: TopicId, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        topic_follows::table.filter(
            topic_follows::topic_id
                .eq(topic)
                .and(topic_follows::user_id.eq(user)),
        ),
    ))
    .get_result(c)
}

/// Follows (idempotent) or unfollows.
pub fn set(
    c: &mut DbConn,
    topic: TopicId,
    user: UserId,
    on: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    if on {
        crate::db::backend::insert_ignoring_duplicate_follow(c, topic, user, at)?;
    } else {
        diesel::delete(
            topic_follows::table.filter(
                topic_follows::topic_id
                    .eq(topic)
                    .and(topic_follows::user_id.eq(user)),
            ),
        )
        .execute(c)?;
    }
    Ok(())
}

/// Marks `reply` as the first unmailed one for every follower but its author who has none.
pub fn mark_pending(
    c: &mut DbConn,
    topic: TopicId,
    reply: ReplyId,
    author: UserId,
) -> QueryResult<usize> {
    diesel::update(
        topic_follows::table
            .filter(topic_follows::topic_id.eq(topic))
            .filter(topic_follows::user_id.ne(author))
            .filter(topic_follows::pending_reply_id.is_null()),
    )
    .set(topic_follows::pending_reply_id.eq(reply))
    .execute(c)
}

/// A follower with replies to hear about.
#[derive(Debug, Clone, Queryable)]
pub struct PendingMail {
    pub topic_id: TopicId,
    pub user_id: UserId,
    pub first_reply: ReplyId,
}

/// Followers whose unmailed replies may go out now: not mailed in the last `quiet` window.
pub fn due(
    c: &mut DbConn,
    mailed_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<PendingMail>> {
    topic_follows::table
        .filter(topic_follows::pending_reply_id.is_not_null())
        .filter(
            topic_follows::last_mailed_at
                .is_null()
                .or(topic_follows::last_mailed_at.le(mailed_before)),
        )
        .order(topic_follows::pending_reply_id)
        .limit(limit)
        .select((
            topic_follows::topic_id,
            topic_follows::user_id,
            topic_follows::pending_reply_id.assume_not_null(),
        ))
        .load(c)
}

/// Clears the pending mark once the mail is queued, if no one changed it meanwhile.
pub fn mark_mailed(c: &mut DbConn, pending: &PendingMail, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        topic_follows::table
            .filter(topic_follows::topic_id.eq(pending.topic_id))
            .filter(topic_follows::user_id.eq(pending.user_id))
            .filter(topic_follows::pending_reply_id.eq(pending.first_reply)),
    )
    .set((
        topic_follows::pending_reply_id.eq(None::<ReplyId>),
        topic_follows::last_mailed_at.eq(at),
    ))
    .execute(c)
}

/// Forgets every unmailed reply (the demo loader: its members need no mail).
pub fn clear_pending(c: &mut DbConn) -> QueryResult<usize> {
    diesel::update(topic_follows::table.filter(topic_follows::pending_reply_id.is_not_null()))
        .set(topic_follows::pending_reply_id.eq(None::<ReplyId>))
        .execute(c)
}

/// Who hears about a topic's progress (its followers; "me too" follows too), with their
/// address, language and name, except `actor`.
pub fn audience(
    c: &mut DbConn,
    topic: TopicId,
    actor: UserId,
) -> QueryResult<Vec<(UserId, String, String, String)>> {
    use crate::db::schema::users;
    topic_follows::table
        .inner_join(users::table.on(users::id.eq(topic_follows::user_id)))
        .filter(topic_follows::topic_id.eq(topic))
        .filter(users::id.ne(actor))
        .filter(users::email_verified.eq(true))
        .filter(users::banned_at.is_null())
        .select((
            users::id,
            users::email,
            users::language,
            users::display_name,
        ))
        .load(c)
}

pub fn followers_of(c: &mut DbConn, topic: TopicId) -> QueryResult<Vec<UserId>> {
    topic_follows::table
        .filter(topic_follows::topic_id.eq(topic))
        .select(topic_follows::user_id)
        .load(c)
}
