//! The mail outbox: every message is a row first, written with the event that causes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::OutboxEmailId;
use crate::db::DbConn;
use crate::db::schema::outbox_emails;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_emails)]
pub struct NewOutboxEmail {
    pub dedupe_key: String,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    /// The List-Unsubscribe URL for mail people can opt out of.
    pub list_unsubscribe: Option<String>,
    /// Staff mail: the brand the recipient must still work when it is sent, and who they are.
    pub staff_of_brand: Option<super::BrandId>,
    pub recipient_id: Option<super::UserId>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_emails)]
pub struct OutboxEmail {
    pub id: OutboxEmailId,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub list_unsubscribe: Option<String>,
    pub staff_of_brand: Option<super::BrandId>,
    pub recipient_id: Option<super::UserId>,
    pub reply_to: Option<String>,
}

/// Queues a message; a second message with the same dedupe key is dropped. Returns whether
/// this call queued it.
pub fn enqueue(c: &mut DbConn, row: &NewOutboxEmail) -> QueryResult<bool> {
    Ok(crate::db::backend::insert_ignoring_duplicate_mail(c, row)? == 1)
}

pub fn load(c: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<OutboxEmail>> {
    outbox_emails::table
        .filter(outbox_emails::id.eq_any(ids))
        .order(outbox_emails::id)
        .select(OutboxEmail::as_select())
        .load(c)
}

pub fn mark_sent(c: &mut DbConn, id: OutboxEmailId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox_emails::table.find(id))
        .set((
            outbox_emails::status.eq("sent"),
            outbox_emails::sent_at.eq(now),
            outbox_emails::attempts.eq(outbox_emails::attempts + 1),
            outbox_emails::locked_until.eq(None::<NaiveDateTime>),
            outbox_emails::last_error.eq(None::<String>),
        ))
        .execute(c)?;
    Ok(())
}

/// Records a failed attempt: the row waits until `retry_at`, or is failed for good when `None`.
pub fn mark_attempt_failed(
    c: &mut DbConn,
    id: OutboxEmailId,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let status = if retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    let mut error = error.to_string();
    error.truncate(error.floor_char_boundary(1000));
    let query = diesel::update(outbox_emails::table.find(id));
    let common = (
        outbox_emails::status.eq(status),
        outbox_emails::attempts.eq(outbox_emails::attempts + 1),
        outbox_emails::locked_until.eq(None::<NaiveDateTime>),
        outbox_emails::last_error.eq(Some(error)),
    );
    match retry_at {
        Some(at) => query
            .set((common, outbox_emails::next_attempt_at.eq(at)))
            .execute(c)?,
        None => query.set(common).execute(c)?,
    };
    Ok(())
}

/// Frees rows leased by a process that died mid-send (used at start on SQLite, where
/// no other node can hold a lease).
pub fn release_leases(c: &mut DbConn) -> QueryResult<usize> {
    diesel::update(outbox_emails::table.filter(outbox_emails::locked_until.is_not_null()))
        .set(outbox_emails::locked_until.eq(None::<NaiveDateTime>))
        .execute(c)
}

/// When the next pending row is due, for the sender's sleep.
pub fn next_due(c: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    outbox_emails::table
        .filter(outbox_emails::status.eq("pending"))
        .select(diesel::dsl::min(outbox_emails::next_attempt_at))
        .first(c)
}

/// All rows to an address, oldest first (for admins and tests).
pub fn to_address(c: &mut DbConn, address: &str) -> QueryResult<Vec<OutboxEmail>> {
    outbox_emails::table
        .filter(outbox_emails::to_address.eq(address))
        .order(outbox_emails::id)
        .select(OutboxEmail::as_select())
        .load(c)
}

/// Whether a staff mail's recipient still works its brand (other mail always may go).
pub fn recipient_still_allowed(c: &mut DbConn, row: &OutboxEmail) -> QueryResult<bool> {
    match (row.staff_of_brand, row.recipient_id) {
        (Some(brand), Some(user)) => Ok(super::member::role_of(c, brand, user)?.is_some()),
        _ => Ok(true),
    }
}

/// Marks a message not sent on purpose, with why.
pub fn mark_skipped(c: &mut DbConn, id: OutboxEmailId, why: &str) -> QueryResult<()> {
    diesel::update(outbox_emails::table.find(id))
        .set((
            outbox_emails::status.eq("skipped"),
            outbox_emails::locked_until.eq(None::<NaiveDateTime>),
            outbox_emails::last_error.eq(Some(why)),
        ))
        .execute(c)?;
    Ok(())
}

/// A row as the site admin's mail page shows it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = outbox_emails)]
pub struct QueueRow {
    pub id: OutboxEmailId,
    pub to_address: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Mail in one state ("queued": pending, never tried; "retrying": pending after a failure;
/// "failed"; "skipped"), newest first, and the counts of each.
pub fn by_state(c: &mut DbConn, state: &str, limit: i64) -> QueryResult<Vec<QueueRow>> {
    let mut query = outbox_emails::table
        .select(QueueRow::as_select())
        .order(outbox_emails::id.desc())
        .limit(limit)
        .into_boxed();
    query = match state {
        "queued" => query
            .filter(outbox_emails::status.eq("pending"))
            .filter(outbox_emails::attempts.eq(0)),
        "retrying" => query
            .filter(outbox_emails::status.eq("pending"))
            .filter(outbox_emails::attempts.gt(0)),
        other => query.filter(outbox_emails::status.eq(other.to_string())),
    };
    query.load(c)
}

/// Sends a failed (or skipped, or waiting) message again as soon as possible.
pub fn retry(c: &mut DbConn, id: OutboxEmailId, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox_emails::table
            .find(id)
            .filter(outbox_emails::status.ne("sent")),
    )
    .set((
        outbox_emails::status.eq("pending"),
        outbox_emails::next_attempt_at.eq(now),
        outbox_emails::created_at.eq(now),
        outbox_emails::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    Ok(changed == 1)
}
