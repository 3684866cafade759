//! Internal notes: what staff tell each other about a topic; never shown to customers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{NoteId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{internal_notes, users};

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct NoteView {
    pub id: NoteId,
    pub topic_id: TopicId,
    pub body: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub author_username: String,
    pub author_name: String,
}

pub fn insert(
    c: &mut DbConn,
    topic: TopicId,
    author: UserId,
    body: &str,
    body_html: &str,
    at: NaiveDateTime,
) -> QueryResult<NoteId> {
    diesel::insert_into(internal_notes::table)
        .values((
            internal_notes::topic_id.eq(topic),
            internal_notes::author_id.eq(author),
            internal_notes::body.eq(body),
            internal_notes::body_html.eq(body_html),
            internal_notes::created_at.eq(at),
        ))
        .returning(internal_notes::id)
        .get_result(c)
}

pub fn of_topic(c: &mut DbConn, topic: TopicId, limit: i64) -> QueryResult<Vec<NoteView>> {
    internal_notes::table
        .inner_join(users::table)
        .filter(internal_notes::topic_id.eq(topic))
        .order(internal_notes::id)
        .limit(limit)
        .select((
            internal_notes::id,
            internal_notes::topic_id,
            internal_notes::body,
            internal_notes::body_html,
            internal_notes::created_at,
            users::username,
            users::display_name,
        ))
        .load(c)
}
