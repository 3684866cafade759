//! The generated community's rows and how they go in: one multi-row INSERT per thousand
//! rows, on whichever backend the connection is.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    escalations, helpful_votes, me_toos, replies, topic_events, topic_follows, topics, users,
};

/// Rows per INSERT statement (SQLite allows 32,766 bound values).
const ROWS_PER_INSERT: usize = 1000;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(text: &str) -> String {
    format!("<p>{}</p>\n", escape(text))
}

/// Rows of one chunk, inserted together.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) topics: Vec<TopicRow>,
    pub(super) replies: Vec<ReplyRow>,
    pub(super) me_toos: Vec<(i64, i64, NaiveDateTime)>,
    pub(super) votes: Vec<(i64, i64, NaiveDateTime)>,
    pub(super) follows: Vec<(i64, i64, NaiveDateTime)>,
    pub(super) events: Vec<EventRow>,
    pub(super) escalations: Vec<EscalationRow>,
}

pub(super) struct TopicRow {
    pub(super) id: i64,
    pub(super) brand_id: i64,
    pub(super) product_id: Option<i64>,
    pub(super) author_id: i64,
    pub(super) kind: &'static str,
    pub(super) feeling: Option<&'static str>,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) status: &'static str,
    pub(super) assignee_id: Option<i64>,
    pub(super) accepted_reply_id: Option<i64>,
    pub(super) official_reply_id: Option<i64>,
    pub(super) me_too_count: i32,
    pub(super) reply_count: i32,
    pub(super) view_count: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) first_response_at: Option<NaiveDateTime>,
    pub(super) first_staff_response_at: Option<NaiveDateTime>,
    pub(super) resolved_at: Option<NaiveDateTime>,
    pub(super) last_activity_at: NaiveDateTime,
    pub(super) open_escalations: i32,
}

pub(super) struct ReplyRow {
    pub(super) id: i64,
    pub(super) topic_id: i64,
    pub(super) author_id: i64,
    pub(super) body: String,
    pub(super) official: bool,
    pub(super) helpful_count: i32,
    pub(super) created_at: NaiveDateTime,
}

pub(super) struct EventRow {
    pub(super) id: i64,
    pub(super) topic_id: i64,
    pub(super) actor_id: i64,
    pub(super) detail: String,
    pub(super) created_at: NaiveDateTime,
}

pub(super) struct EscalationRow {
    pub(super) id: i64,
    pub(super) topic_id: i64,
    pub(super) brand_id: i64,
    pub(super) source: &'static str,
    pub(super) opened_by: Option<i64>,
    pub(super) opened_at: NaiveDateTime,
    pub(super) acknowledged: Option<(i64, NaiveDateTime)>,
    pub(super) resolved: Option<(i64, NaiveDateTime)>,
}

pub(super) type UserRow = (
    diesel::dsl::Eq<users::id, i64>,
    diesel::dsl::Eq<users::username, String>,
    diesel::dsl::Eq<users::email, String>,
    diesel::dsl::Eq<users::email_key, String>,
    diesel::dsl::Eq<users::email_verified, bool>,
    diesel::dsl::Eq<users::display_name, String>,
    diesel::dsl::Eq<users::password_hash, String>,
    diesel::dsl::Eq<users::language, &'static str>,
    diesel::dsl::Eq<users::site_admin, bool>,
    diesel::dsl::Eq<users::created_at, NaiveDateTime>,
    diesel::dsl::Eq<users::updated_at, NaiveDateTime>,
);

pub(super) fn user_row(
    id: i64,
    username: &str,
    name: &str,
    japanese: bool,
    hash: &str,
    at: NaiveDateTime,
) -> UserRow {
    let email = format!("{username}@generated.kotae.example");
    (
        users::id.eq(id),
        users::username.eq(username.to_string()),
        users::email.eq(email.clone()),
        users::email_key.eq(email),
        users::email_verified.eq(true),
        users::display_name.eq(name.to_string()),
        users::password_hash.eq(hash.to_string()),
        users::language.eq(if japanese { "ja" } else { "en" }),
        users::site_admin.eq(false),
        users::created_at.eq(at),
        users::updated_at.eq(at),
    )
}

/// Runs one multi-row INSERT per slice of `rows`, on whichever backend `c` is.
macro_rules! insert_rows {
    ($c:expr, $table:expr, $rows:expr) => {{
        for slice in $rows.chunks(ROWS_PER_INSERT) {
            match $c {
                DbConn::Sqlite(s) => diesel::insert_into($table).values(slice).execute(s)?,
                DbConn::Postgres(p) => diesel::insert_into($table).values(slice).execute(p)?,
            };
        }
    }};
}

pub(super) fn insert_users(c: &mut DbConn, rows: &[UserRow]) -> QueryResult<()> {
    insert_rows!(c, users::table, rows.to_vec());
    Ok(())
}

pub(super) fn insert(c: &mut DbConn, b: &Batch) -> QueryResult<()> {
    let topic_rows: Vec<_> = b
        .topics
        .iter()
        .map(|t| {
            (
                (
                    topics::id.eq(t.id),
                    topics::brand_id.eq(t.brand_id),
                    topics::product_id.eq(t.product_id),
                    topics::author_id.eq(t.author_id),
                    topics::kind.eq(t.kind),
                    topics::feeling.eq(t.feeling),
                    topics::title.eq(&t.title),
                    topics::body.eq(&t.body),
                    topics::body_html.eq(html(&t.body)),
                    topics::status.eq(t.status),
                    topics::assignee_id.eq(t.assignee_id),
                    topics::accepted_reply_id.eq(t.accepted_reply_id),
                    topics::hidden.eq(false),
                    topics::me_too_count.eq(t.me_too_count),
                ),
                (
                    topics::reply_count.eq(t.reply_count),
                    topics::view_count.eq(t.view_count),
                    topics::created_at.eq(t.created_at),
                    topics::first_response_at.eq(t.first_response_at),
                    topics::first_staff_response_at.eq(t.first_staff_response_at),
                    topics::resolved_at.eq(t.resolved_at),
                    topics::last_activity_at.eq(t.last_activity_at),
                    topics::official.eq(false),
                    topics::locked.eq(false),
                    topics::official_reply_id.eq(t.official_reply_id),
                    topics::open_escalations.eq(t.open_escalations),
                ),
            )
        })
        .collect();
    insert_rows!(c, topics::table, topic_rows);
    let reply_rows: Vec<_> = b
        .replies
        .iter()
        .map(|r| {
            (
                replies::id.eq(r.id),
                replies::topic_id.eq(r.topic_id),
                replies::author_id.eq(r.author_id),
                replies::body.eq(&r.body),
                replies::body_html.eq(html(&r.body)),
                replies::official.eq(r.official),
                replies::hidden.eq(false),
                replies::helpful_count.eq(r.helpful_count),
                replies::created_at.eq(r.created_at),
            )
        })
        .collect();
    insert_rows!(c, replies::table, reply_rows);
    let me_too_rows: Vec<_> = b
        .me_toos
        .iter()
        .map(|&(t, u, at)| {
            (
                me_toos::topic_id.eq(t),
                me_toos::user_id.eq(u),
                me_toos::created_at.eq(at),
            )
        })
        .collect();
    insert_rows!(c, me_toos::table, me_too_rows);
    let vote_rows: Vec<_> = b
        .votes
        .iter()
        .map(|&(r, u, at)| {
            (
                helpful_votes::reply_id.eq(r),
                helpful_votes::user_id.eq(u),
                helpful_votes::created_at.eq(at),
            )
        })
        .collect();
    insert_rows!(c, helpful_votes::table, vote_rows);
    // me-tooers never include the author, so each (topic, member) follows once
    let follow_rows: Vec<_> = b
        .follows
        .iter()
        .map(|&(t, u, at)| {
            (
                topic_follows::topic_id.eq(t),
                topic_follows::user_id.eq(u),
                topic_follows::created_at.eq(at),
            )
        })
        .collect();
    insert_rows!(c, topic_follows::table, follow_rows);
    let event_rows: Vec<_> = b
        .events
        .iter()
        .map(|e| {
            (
                topic_events::id.eq(e.id),
                topic_events::topic_id.eq(e.topic_id),
                topic_events::actor_id.eq(Some(e.actor_id)),
                topic_events::kind.eq("status"),
                topic_events::public.eq(true),
                topic_events::detail.eq(&e.detail),
                topic_events::created_at.eq(e.created_at),
            )
        })
        .collect();
    insert_rows!(c, topic_events::table, event_rows);
    let escalation_rows: Vec<_> = b
        .escalations
        .iter()
        .map(|e| {
            (
                (
                    escalations::id.eq(e.id),
                    escalations::topic_id.eq(e.topic_id),
                    escalations::brand_id.eq(e.brand_id),
                    // unacknowledged ones went to the admins long ago: a server started on
                    // this data has nobody left to tell
                    escalations::level.eq(if e.acknowledged.is_some() { 1 } else { 2 }),
                    escalations::reason.eq("Customers are blocked"),
                    escalations::source.eq(e.source),
                    escalations::opened_by.eq(e.opened_by),
                    escalations::state.eq(if e.resolved.is_some() {
                        "resolved"
                    } else if e.acknowledged.is_some() {
                        "acknowledged"
                    } else {
                        "open"
                    }),
                ),
                (
                    escalations::opened_at.eq(e.opened_at),
                    escalations::acknowledged_by.eq(e.acknowledged.map(|a| a.0)),
                    escalations::acknowledged_at.eq(e.acknowledged.map(|a| a.1)),
                    escalations::resolved_by.eq(e.resolved.map(|r| r.0)),
                    escalations::resolved_at.eq(e.resolved.map(|r| r.1)),
                    escalations::level2_at.eq(e
                        .acknowledged
                        .is_none()
                        .then(|| e.opened_at + Duration::hours(1))),
                ),
            )
        })
        .collect();
    insert_rows!(c, escalations::table, escalation_rows);
    Ok(())
}
