//! Rows and their queries, one file per noun; no HTTP and no mail here.

pub mod account_token;
pub mod brand;
pub mod champion;
pub mod claim;
pub mod escalation;
pub mod event;
pub mod feed;
pub mod field;
pub mod fix_answer;
pub mod flag;
pub mod follow;
pub mod ids;
pub mod inbound_mail;
pub mod incident;
pub mod insights;
pub mod invitation;
pub mod me_too;
pub mod member;
pub mod monitor;
pub mod note;
pub mod notification;
pub mod oidc;
pub mod outbox;
pub mod pending_reply;
pub mod rate_limit;
pub mod reply;
pub mod saved_reply;
pub mod search_change;
pub mod session;
pub mod topic;
pub mod topic_status;
pub mod user;
pub mod voice;
pub mod webhook;
pub mod widget;

pub use ids::*;

/// The current time as stored in the database (UTC, no zone).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Serialises a stored time as RFC 3339 in UTC (`serialize_with`), as API.md promises.
pub fn rfc3339<S: serde::Serializer>(at: &chrono::NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &at.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}
