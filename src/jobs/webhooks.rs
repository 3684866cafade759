//! The webhook sender: claims due deliveries, signs and POSTs them (Standard Webhooks
//! headers), and retries what failed with a backoff that starts at
//! KOTAE_WEBHOOK_RETRY_SECONDS and doubles up to ten minutes, for a day. Safe on several
//! nodes: a claimed delivery is leased to one node; one that dies mid-delivery frees it
//! when the lease ends, and the receiver gets the same message id again.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::StreamExt as _;
use tokio::sync::{Notify, watch};

use crate::db::Db;
use crate::model::webhook::{self, Attempt, Delivery, Webhook};
use crate::model::{DeliveryId, now};
use crate::outbound;
use crate::service::webhook::{signature, slack_body};

/// Longer than the client's total timeout, so a lease never ends during its own attempt.
const LEASE: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
const BATCH: i64 = 32;
const CONCURRENCY: usize = 4;
/// Even without a wake-up, look again this often (another node may have queued events).
const POLL: Duration = Duration::from_secs(5);

pub struct WebhookSender {
    pub db: Db,
    pub client: outbound::Client,
    pub wake: Arc<Notify>,
    pub retry_base: Duration,
}

impl WebhookSender {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.deliver_batch().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook sender: cannot read deliveries"),
            }
            let pause = self.pause().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("webhook sender stopped");
    }

    async fn pause(&self) -> Duration {
        let next = self.db.run(|c| Ok(webhook::next_due(c)?)).await;
        match next {
            Ok(Some(at)) => (at - now()).to_std().unwrap_or(Duration::ZERO).min(POLL),
            _ => POLL,
        }
    }

    async fn deliver_batch(&self) -> anyhow::Result<usize> {
        let at = now();
        let lease_until = at + chrono::Duration::from_std(LEASE)?;
        let rows = self
            .db
            .run(move |c| {
                let ids = webhook::claim_due(c, at, lease_until, BATCH)?;
                Ok(webhook::load(c, &ids)?)
            })
            .await?;
        let count = rows.len();
        futures_util::stream::iter(rows)
            .map(|(delivery, hook)| self.deliver_one(delivery, hook))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<anyhow::Result<()>>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<()>>()?;
        Ok(count)
    }

    async fn deliver_one(&self, delivery: Delivery, hook: Webhook) -> anyhow::Result<()> {
        let client = self.client.clone();
        let (id, attempts, created_at) = (delivery.id, delivery.attempts, delivery.created_at);
        let outcome = tokio::task::spawn_blocking(move || send(&client, &delivery, &hook)).await?;
        let retry_at = self.retry_at(attempts, created_at);
        self.db
            .run(move |c| {
                let attempt = match &outcome {
                    Ok(code) => Attempt {
                        status_code: Some(i32::from(*code)),
                        error: None,
                        retry_at: None,
                    },
                    Err((code, why)) => Attempt {
                        status_code: code.map(i32::from),
                        error: Some(why),
                        retry_at,
                    },
                };
                log_outcome(id, &attempt);
                Ok(webhook::record_attempt(c, id, &attempt, now())?)
            })
            .await?;
        Ok(())
    }

    /// When to try again after the attempt numbered `attempts` (from 0) failed.
    fn retry_at(&self, attempts: i32, created_at: NaiveDateTime) -> Option<NaiveDateTime> {
        let factor = 2u32.saturating_pow(attempts.clamp(0, 16) as u32);
        let wait = self.retry_base.saturating_mul(factor).min(MAX_BACKOFF);
        let at = now() + chrono::Duration::from_std(wait).ok()?;
        (at - created_at <= GIVE_UP_AFTER).then_some(at)
    }
}

fn log_outcome(id: DeliveryId, attempt: &Attempt) {
    match attempt.error {
        None => tracing::debug!(delivery = %id.0, "webhook delivered"),
        Some(why) => {
            tracing::info!(delivery = %id.0, error = why, final_attempt = attempt.retry_at.is_none(), "webhook not delivered")
        }
    }
}

/// One attempt: the 2xx status, or the status (if any) and why it failed.
fn send(
    client: &outbound::Client,
    delivery: &Delivery,
    hook: &Webhook,
) -> Result<u16, (Option<u16>, String)> {
    let body = match hook.format.as_str() {
        "slack" => slack_body(&delivery.payload),
        _ => delivery.payload.clone(),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let headers = [
        ("webhook-id", delivery.message_id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            signature(&hook.secret, &delivery.message_id, timestamp, &body),
        ),
    ];
    match client.post_json(&hook.url, &headers, &body) {
        Ok(code) if (200..300).contains(&code) => Ok(code),
        Ok(code) => Err((Some(code), format!("the endpoint answered {code}"))),
        Err(why) => Err((None, why)),
    }
}
