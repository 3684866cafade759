//! Webhook endpoints and their deliveries: one row per event and endpoint, written in the
//! event's transaction, claimed and sent by the webhook sender.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, DeliveryId, UserId, WebhookId};
use crate::db::DbConn;
use crate::db::schema::{webhook_deliveries, webhooks};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: WebhookId,
    pub brand_id: BrandId,
    pub url: String,
    /// Event names separated by spaces.
    pub events: String,
    /// "standard" (Standard Webhooks JSON) or "slack" (a chat message).
    pub format: String,
    #[serde(skip)]
    pub secret: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
}

impl Webhook {
    pub fn event_list(&self) -> Vec<&str> {
        self.events.split_whitespace().collect()
    }

    pub fn hears(&self, event: &str) -> bool {
        self.events.split_whitespace().any(|e| e == event)
    }
}

pub struct NewWebhook<'a> {
    pub brand: BrandId,
    pub url: &'a str,
    pub events: &'a str,
    pub format: &'a str,
    pub secret: &'a str,
    pub by: UserId,
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub message_id: String,
    pub event: String,
    #[serde(skip)]
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert(c: &mut DbConn, row: &NewWebhook, at: NaiveDateTime) -> QueryResult<WebhookId> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::brand_id.eq(row.brand),
            webhooks::url.eq(row.url),
            webhooks::events.eq(row.events),
            webhooks::format.eq(row.format),
            webhooks::secret.eq(row.secret),
            webhooks::created_by.eq(row.by),
            webhooks::created_at.eq(at),
        ))
        .returning(webhooks::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: WebhookId) -> QueryResult<Webhook> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(c)
}

pub fn of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::brand_id.eq(brand))
        .order(webhooks::id)
        .select(Webhook::as_select())
        .load(c)
}

pub fn count_of_brand(c: &mut DbConn, brand: BrandId) -> QueryResult<i64> {
    webhooks::table
        .filter(webhooks::brand_id.eq(brand))
        .count()
        .get_result(c)
}

pub fn delete(c: &mut DbConn, id: WebhookId) -> QueryResult<usize> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(c)?;
    diesel::delete(webhooks::table.find(id)).execute(c)
}

pub struct NewDelivery<'a> {
    pub webhook: WebhookId,
    pub message_id: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
}

pub fn enqueue(c: &mut DbConn, row: &NewDelivery, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(row.webhook),
            webhook_deliveries::message_id.eq(row.message_id),
            webhook_deliveries::event.eq(row.event),
            webhook_deliveries::payload.eq(row.payload),
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::next_attempt_at.eq(at),
            webhook_deliveries::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

/// Leases up to `limit` due deliveries to this node until `lease_until`; on PostgreSQL rows
/// another node holds are skipped, on SQLite the write transaction serialises the claim.
pub fn claim_due(
    c: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<DeliveryId>> {
    use webhook_deliveries::dsl as d;
    let due = d::status
        .eq("pending")
        .and(d::next_attempt_at.le(now))
        .and(d::locked_until.is_null().or(d::locked_until.le(now)));
    crate::db::backend::write_transaction(c, |c| {
        let ids: Vec<DeliveryId> = match c {
            DbConn::Postgres(pg) => d::webhook_deliveries
                .select(d::id)
                .filter(due)
                .order(d::next_attempt_at)
                .limit(limit)
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(s) => d::webhook_deliveries
                .select(d::id)
                .filter(due)
                .order(d::next_attempt_at)
                .limit(limit)
                .load(s)?,
        };
        diesel::update(d::webhook_deliveries.filter(d::id.eq_any(&ids)))
            .set(d::locked_until.eq(lease_until))
            .execute(c)?;
        Ok(ids)
    })
}

/// Claimed deliveries with their endpoints, oldest first.
pub fn load(c: &mut DbConn, ids: &[DeliveryId]) -> QueryResult<Vec<(Delivery, Webhook)>> {
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(ids))
        .order(webhook_deliveries::id)
        .select((Delivery::as_select(), Webhook::as_select()))
        .load(c)
}

/// What one attempt came to: the receiver's status code (if it answered) and, unless it
/// was delivered, why not and when to try again (`None`: never).
pub struct Attempt<'a> {
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub retry_at: Option<NaiveDateTime>,
}

pub fn record_attempt(
    c: &mut DbConn,
    id: DeliveryId,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use webhook_deliveries::dsl as d;
    let status = match (attempt.error, attempt.retry_at) {
        (None, _) => "delivered",
        (Some(_), Some(_)) => "pending",
        (Some(_), None) => "failed",
    };
    let error = attempt
        .error
        .map(|e| e[..e.floor_char_boundary(500)].to_string());
    let common = (
        d::status.eq(status),
        d::attempts.eq(d::attempts + 1),
        d::last_status_code.eq(attempt.status_code),
        d::last_error.eq(error),
        d::locked_until.eq(None::<NaiveDateTime>),
    );
    let row = diesel::update(d::webhook_deliveries.find(id));
    match (attempt.error, attempt.retry_at) {
        (None, _) => row.set((common, d::delivered_at.eq(now))).execute(c)?,
        (Some(_), Some(at)) => row.set((common, d::next_attempt_at.eq(at))).execute(c)?,
        (Some(_), None) => row.set(common).execute(c)?,
    };
    Ok(())
}

/// An endpoint's latest deliveries, newest first.
pub fn log(c: &mut DbConn, webhook: WebhookId, limit: i64) -> QueryResult<Vec<Delivery>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(c)
}

pub fn find_delivery(c: &mut DbConn, id: DeliveryId) -> QueryResult<Delivery> {
    webhook_deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(c)
}

/// Queues a delivery again now, with the same message id (receivers deduplicate by it).
pub fn redeliver(c: &mut DbConn, id: DeliveryId, now: NaiveDateTime) -> QueryResult<()> {
    use webhook_deliveries::dsl as d;
    diesel::update(d::webhook_deliveries.find(id))
        .set((
            d::status.eq("pending"),
            d::next_attempt_at.eq(now),
            d::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

/// When the next pending delivery is due, for the sender's sleep.
pub fn next_due(c: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first(c)
}

/// Frees leases of a process that died mid-delivery (at start on SQLite, one node only).
pub fn release_leases(c: &mut DbConn) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::locked_until.is_not_null()))
        .set(webhook_deliveries::locked_until.eq(None::<NaiveDateTime>))
        .execute(c)
}
