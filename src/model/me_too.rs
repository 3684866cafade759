//! "Me too": one per member per topic, undoable; the topic keeps the count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{TopicId, UserId, topic};
use crate::db::DbConn;
use crate::db::schema::me_toos;

pub fn has(c: &mut DbConn, topic: TopicId, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        me_toos::table.filter(me_toos::topic_id.eq(topic).and(me_toos::user_id.eq(user))),
    ))
    .get_result(c)
}

/// Adds or removes the member's me-too; returns the topic's count afterwards.
pub fn set(
    c: &mut DbConn,
    topic_id: TopicId,
    user: UserId,
    on: bool,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    let changed = if on {
        crate::db::backend::insert_ignoring_duplicate_me_too(c, topic_id, user, at)?
    } else {
        diesel::delete(
            me_toos::table.filter(
                me_toos::topic_id
                    .eq(topic_id)
                    .and(me_toos::user_id.eq(user)),
            ),
        )
        .execute(c)?
    };
    let delta = match (changed, on) {
        (0, _) => 0,
        (_, true) => 1,
        (_, false) => -1,
    };
    topic::add_me_too_count(c, topic_id, delta)
}

pub fn users_of(c: &mut DbConn, topic: TopicId) -> QueryResult<Vec<UserId>> {
    me_toos::table
        .filter(me_toos::topic_id.eq(topic))
        .select(me_toos::user_id)
        .load(c)
}

pub fn count(c: &mut DbConn, topic: TopicId) -> QueryResult<i64> {
    me_toos::table
        .filter(me_toos::topic_id.eq(topic))
        .count()
        .get_result(c)
}
