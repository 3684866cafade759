//! The API's shared shapes: times as RFC 3339, paging, and how rows become JSON.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::model::reply::ReplyView;
use crate::model::topic::{Topic, TopicSummary};

/// RFC 3339 in UTC, as API.md promises.
pub fn time(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn time_opt(at: Option<NaiveDateTime>) -> Value {
    at.map_or(Value::Null, |t| Value::String(time(t)))
}

/// `?page=` from 1 and `?per_page=` up to 100.
#[derive(Debug)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    pub const MAX: i64 = 100;

    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(20).clamp(1, Self::MAX)
    }

    pub fn offset(&self) -> i64 {
        (self.page().min(1_000_000) - 1) * self.per_page()
    }

    pub fn wrap(&self, items: Vec<Value>, total: i64) -> Value {
        json!({ "items": items, "page": self.page(), "per_page": self.per_page(), "total": total })
    }
}

pub fn topic_summary(t: &TopicSummary) -> Value {
    json!({
        "id": t.id, "brand": t.brand_slug, "kind": t.kind, "title": t.title, "status": t.status,
        "feeling": t.feeling, "me_too_count": t.me_too_count, "reply_count": t.reply_count,
        "answered": t.answered, "author": { "username": t.author_username, "display_name": t.author_name },
        "created_at": time(t.created_at), "last_activity_at": time(t.last_activity_at),
    })
}

pub fn reply(r: &ReplyView) -> Value {
    json!({
        "id": r.reply.id, "topic_id": r.reply.topic_id,
        "author": { "username": r.author_username, "display_name": r.author_name },
        "body": r.reply.body, "body_html": r.reply.body_html, "official": r.reply.official,
        "helpful_count": r.reply.helpful_count, "created_at": time(r.reply.created_at),
        "verified_version": r.reply.verified_version, "review_at": time_opt(r.reply.review_at),
    })
}

pub fn topic(t: &Topic, brand_slug: &str, author: Value, replies: Vec<Value>) -> Value {
    json!({
        "id": t.id, "brand": brand_slug, "kind": t.kind, "title": t.title, "body": t.body,
        "body_html": t.body_html, "status": t.status, "feeling": t.feeling, "author": author,
        "me_too_count": t.me_too_count, "reply_count": t.reply_count,
        "accepted_reply_id": t.accepted_reply_id, "assignee": t.assignee_id, "view_count": t.view_count,
        "created_at": time(t.created_at), "edited_at": time_opt(t.edited_at), "replies": replies,
        "official": t.official, "official_reply_id": t.official_reply_id, "locked": t.locked,
        "resolved_at": time_opt(t.resolved_at),
    })
}
