//! The search index's change log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{replies, search_changes, topics};

/// Notes that a topic's searchable content changed; call in the change's transaction.
pub fn record(c: &mut DbConn, topic: TopicId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(search_changes::table)
        .values((
            search_changes::topic_id.eq(topic),
            search_changes::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

/// Notes every topic a member opened or answered (their posts were hidden or shown).
pub fn record_member(c: &mut DbConn, user: UserId, at: NaiveDateTime) -> QueryResult<()> {
    let mut ids: Vec<TopicId> = topics::table
        .filter(topics::author_id.eq(user))
        .select(topics::id)
        .load(c)?;
    ids.extend(
        replies::table
            .filter(replies::author_id.eq(user))
            .select(replies::topic_id)
            .distinct()
            .load::<TopicId>(c)?,
    );
    ids.sort();
    ids.dedup();
    for id in ids {
        record(c, id, at)?;
    }
    Ok(())
}

/// Changes after `seq`, in order, up to `limit`: (seq, topic).
pub fn after(c: &mut DbConn, seq: i64, limit: i64) -> QueryResult<Vec<(i64, TopicId)>> {
    search_changes::table
        .filter(search_changes::seq.gt(seq))
        .order(search_changes::seq)
        .limit(limit)
        .select((search_changes::seq, search_changes::topic_id))
        .load(c)
}

pub fn last(c: &mut DbConn) -> QueryResult<i64> {
    Ok(search_changes::table
        .select(diesel::dsl::max(search_changes::seq))
        .first::<Option<i64>>(c)?
        .unwrap_or(0))
}
