//! The topic timeline: status changes, assignment, merges, locks, notes, moderation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::{EventId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{topic_events, users};

/// What happened; the public kinds show to everyone, the others to the brand's staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Status,
    Merged,
    Locked,
    Unlocked,
    Moved,
    Assigned,
    Unassigned,
    Note,
    Hidden,
    Restored,
    Escalated,
    EscalationAcknowledged,
    EscalationResolved,
    /// A customer said the fix did not work for them, and the topic opened again.
    Reopened,
    /// A thread changed hands with a note for the new assignee (staff only).
    Handover,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Merged => "merged",
            EventKind::Locked => "locked",
            EventKind::Unlocked => "unlocked",
            EventKind::Moved => "moved",
            EventKind::Assigned => "assigned",
            EventKind::Unassigned => "unassigned",
            EventKind::Note => "note",
            EventKind::Hidden => "hidden",
            EventKind::Restored => "restored",
            EventKind::Escalated => "escalated",
            EventKind::EscalationAcknowledged => "escalation_acknowledged",
            EventKind::EscalationResolved => "escalation_resolved",
            EventKind::Reopened => "reopened",
            EventKind::Handover => "handover",
        }
    }

    pub fn public(self) -> bool {
        matches!(
            self,
            EventKind::Status
                | EventKind::Merged
                | EventKind::Locked
                | EventKind::Unlocked
                | EventKind::Moved
                | EventKind::Reopened
        )
    }
}

/// An event with who did it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct EventView {
    pub id: EventId,
    pub topic_id: TopicId,
    pub kind: String,
    pub public: bool,
    pub detail: String,
    pub created_at: NaiveDateTime,
    pub actor_username: Option<String>,
    pub actor_name: Option<String>,
}

impl EventView {
    pub fn detail_json(&self) -> Value {
        serde_json::from_str(&self.detail).unwrap_or(Value::Null)
    }
}

pub fn insert(
    c: &mut DbConn,
    topic: TopicId,
    actor: Option<UserId>,
    kind: EventKind,
    detail: &Value,
    at: NaiveDateTime,
) -> QueryResult<EventId> {
    diesel::insert_into(topic_events::table)
        .values((
            topic_events::topic_id.eq(topic),
            topic_events::actor_id.eq(actor),
            topic_events::kind.eq(kind.as_str()),
            topic_events::public.eq(kind.public()),
            topic_events::detail.eq(detail.to_string()),
            topic_events::created_at.eq(at),
        ))
        .returning(topic_events::id)
        .get_result(c)
}

/// A topic's timeline, oldest first; staff-only events only when `staff`.
pub fn of_topic(
    c: &mut DbConn,
    topic: TopicId,
    staff: bool,
    limit: i64,
) -> QueryResult<Vec<EventView>> {
    let mut query = topic_events::table
        .left_join(users::table.on(users::id.nullable().eq(topic_events::actor_id)))
        .filter(topic_events::topic_id.eq(topic))
        .into_boxed();
    if !staff {
        query = query.filter(topic_events::public.eq(true));
    }
    query
        .order(topic_events::id)
        .limit(limit)
        .select((
            topic_events::id,
            topic_events::topic_id,
            topic_events::kind,
            topic_events::public,
            topic_events::detail,
            topic_events::created_at,
            users::username.nullable(),
            users::display_name.nullable(),
        ))
        .load(c)
}
