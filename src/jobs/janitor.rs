//! Hourly clean-up of rows that only age: expired sessions, tokens and staff invitations,
//! abandoned single sign-ons, refilled rate-limit buckets, delivered mail and finished webhook
//! deliveries older than 30 days, and inbound Message-IDs older than 200 days. Safe on several
//! nodes at once.

use std::time::Duration;

use chrono::Duration as Age;
use diesel::prelude::*;
use tokio::sync::watch;

use crate::db::schema::{
    account_tokens, inbound_mails, outbox_emails, rate_limits, sessions, webhook_deliveries,
};
use crate::db::{Db, DbConn};
use crate::model::now;

const EVERY: Duration = Duration::from_secs(3600);
const KEEP_SENT_MAIL: Age = Age::days(30);
/// Finished webhook deliveries stay in the delivery log this long.
const KEEP_DELIVERIES: Age = Age::days(30);
/// Inbound Message-IDs are remembered past the 180 days a reply address lasts.
const KEEP_INBOUND: Age = Age::days(200);

/// Deletes what has expired; returns how many rows went.
pub fn sweep(c: &mut DbConn) -> QueryResult<usize> {
    let at = now();
    let mut removed =
        diesel::delete(sessions::table.filter(sessions::expires_at.le(at))).execute(c)?;
    removed += diesel::delete(account_tokens::table.filter(account_tokens::expires_at.le(at)))
        .execute(c)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    removed +=
        diesel::delete(rate_limits::table.filter(rate_limits::tat_ms.le(now_ms))).execute(c)?;
    removed += diesel::delete(
        outbox_emails::table
            .filter(outbox_emails::status.eq("sent"))
            .filter(outbox_emails::sent_at.le(at - KEEP_SENT_MAIL)),
    )
    .execute(c)?;
    removed += crate::model::invitation::delete_expired(c, at)?;
    removed += diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.ne("pending"))
            .filter(webhook_deliveries::created_at.le(at - KEEP_DELIVERIES)),
    )
    .execute(c)?;
    removed += diesel::delete(
        inbound_mails::table.filter(inbound_mails::received_at.le(at - KEEP_INBOUND)),
    )
    .execute(c)?;
    let login_age = Age::minutes(crate::service::sso::LOGIN_MINUTES);
    removed += crate::model::oidc::prune_logins(c, at - login_age)?;
    crate::db::backend::refresh_statistics(c)?;
    Ok(removed)
}

/// Sweeps at start and then hourly until `shutdown`.
pub async fn run(db: Db, mut shutdown: watch::Receiver<bool>) {
    loop {
        match db.run(|c| Ok(sweep(c)?)).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "janitor removed expired rows"),
            Err(e) => tracing::warn!(error = %e, "janitor failed; trying again later"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => break,
        }
    }
}
