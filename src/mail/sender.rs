//! The sender task: claims due outbox rows, delivers them over SMTP (or writes .eml files
//! when no SMTP server is configured), retries transient failures with backoff.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDateTime;
use futures_util::StreamExt as _;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{Notify, watch};

use crate::db::Db;
use crate::model::{self, outbox::OutboxEmail};

/// A row's lease: long enough for the slowest SMTP exchange; a crashed node's rows free up after it.
const LEASE: Duration = Duration::from_secs(180);
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
const BATCH: i64 = 40;
/// Messages in flight at once.
const CONCURRENCY: usize = 8;
/// Even without a wake-up, look again this often (another node may have queued mail).
const POLL: Duration = Duration::from_secs(15);

/// Where mail goes.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Transport {
    pub fn from_config(smtp_url: Option<&str>, mail_dir: PathBuf) -> anyhow::Result<Transport> {
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("KOTAE_SMTP_URL cannot be used")?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&mail_dir)
                    .with_context(|| format!("cannot create {}", mail_dir.display()))?;
                Ok(Transport::Files(mail_dir))
            }
        }
    }
}

/// What became of one delivery attempt.
enum Outcome {
    Sent,
    Transient(String),
    Permanent(String),
}

pub struct Sender {
    pub db: Db,
    pub transport: Transport,
    pub from: Mailbox,
    pub wake: Arc<Notify>,
    pub retry_base: Duration,
}

impl Sender {
    /// Delivers until `shutdown` turns true; a message being sent is finished first and
    /// everything unclaimed stays queued for the next start.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let sent_some = match self.deliver_batch(&shutdown).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "mail sender: cannot read the outbox");
                    false
                }
            };
            if sent_some {
                continue;
            }
            let pause = self.pause().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("mail sender stopped");
    }

    async fn deliver_batch(&self, shutdown: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let now = model::now();
        let lease_until = now + chrono::Duration::from_std(LEASE)?;
        let rows = self
            .db
            .run(move |c| {
                let ids = crate::db::backend::claim_due_mail(c, now, lease_until, BATCH)?;
                Ok(model::outbox::load(c, &ids)?)
            })
            .await?;
        let count = rows.len();
        // several messages at once over the pooled connections: a burst of escalations
        // reaches everyone in seconds, not one message after another
        futures_util::stream::iter(rows)
            .map(|row| self.deliver_one(row, shutdown))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<anyhow::Result<()>>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<()>>()?;
        Ok(count)
    }

    async fn deliver_one(
        &self,
        row: OutboxEmail,
        shutdown: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        if *shutdown.borrow() {
            // left queued; its lease lapses and it goes out after restart
            return Ok(());
        }
        if !self.still_allowed(&row).await? {
            return Ok(());
        }
        let outcome = self.deliver(&row).await;
        self.record(row, outcome).await
    }

    /// Staff mail is checked again now: who lost access to the brand since it was queued
    /// does not get it.
    async fn still_allowed(&self, row: &OutboxEmail) -> anyhow::Result<bool> {
        let checked = row.clone();
        let allowed = self
            .db
            .run(move |c| {
                let allowed = model::outbox::recipient_still_allowed(c, &checked)?;
                if !allowed {
                    let why = "the recipient no longer works this brand";
                    model::outbox::mark_skipped(c, checked.id, why)?;
                }
                Ok(allowed)
            })
            .await?;
        if !allowed {
            tracing::warn!(id = %row.id, "mail skipped: the recipient no longer works the brand");
        }
        Ok(allowed)
    }

    async fn deliver(&self, row: &OutboxEmail) -> Outcome {
        let message = match build_message(&self.from, row) {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(format!("{e:#}")),
        };
        match &self.transport {
            // lettre's own timeout covers connecting, not a server that accepts and then
            // says nothing; this bounds the whole exchange
            Transport::Smtp(smtp) => {
                match tokio::time::timeout(SMTP_TIMEOUT, smtp.send(message)).await {
                    Ok(Ok(_)) => Outcome::Sent,
                    Ok(Err(e)) if e.is_permanent() => Outcome::Permanent(e.to_string()),
                    Ok(Err(e)) => Outcome::Transient(e.to_string()),
                    Err(_) => Outcome::Transient(format!(
                        "the SMTP server did not answer within {} s",
                        SMTP_TIMEOUT.as_secs()
                    )),
                }
            }
            Transport::Files(dir) => match write_eml(dir, row, &message).await {
                Ok(()) => Outcome::Sent,
                Err(e) => Outcome::Transient(format!("{e:#}")),
            },
        }
    }

    async fn record(&self, row: OutboxEmail, outcome: Outcome) -> anyhow::Result<()> {
        let now = model::now();
        let retry_at = next_attempt(row.created_at, row.attempts, self.retry_base, now);
        match &outcome {
            Outcome::Sent => tracing::info!(id = %row.id, "mail sent"),
            Outcome::Transient(e) => {
                tracing::warn!(id = %row.id, error = %e, retry_at = ?retry_at, "mail deferred")
            }
            Outcome::Permanent(e) => tracing::error!(id = %row.id, error = %e, "mail failed"),
        }
        self.db
            .run(move |c| {
                match outcome {
                    Outcome::Sent => model::outbox::mark_sent(c, row.id, now)?,
                    Outcome::Transient(e) => {
                        model::outbox::mark_attempt_failed(c, row.id, &e, retry_at)?
                    }
                    Outcome::Permanent(e) => {
                        model::outbox::mark_attempt_failed(c, row.id, &e, None)?
                    }
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Sleep until the next row is due, but no longer than the poll interval.
    async fn pause(&self) -> Duration {
        let next = self
            .db
            .run(|c| Ok(model::outbox::next_due(c)?))
            .await
            .ok()
            .flatten();
        let until_due = next
            .and_then(|at| (at - model::now()).to_std().ok())
            .unwrap_or(POLL);
        until_due.clamp(Duration::from_millis(50), POLL)
    }
}

/// When to try again after `attempts` failures, or `None` once a day has passed.
fn next_attempt(
    created: NaiveDateTime,
    attempts: i32,
    base: Duration,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    if now - created >= GIVE_UP_AFTER {
        return None;
    }
    let factor = 2u32.saturating_pow(attempts.clamp(0, 20) as u32);
    let delay = base.saturating_mul(factor).min(MAX_BACKOFF);
    Some(now + chrono::Duration::from_std(delay).ok()?)
}

fn build_message(from: &Mailbox, row: &OutboxEmail) -> anyhow::Result<Message> {
    let to: Mailbox = row
        .to_address
        .parse()
        .context("the recipient address is not valid")?;
    let mut builder = Message::builder();
    if let Some(url) = &row.list_unsubscribe {
        // RFC 8058: mail clients offer one-click unsubscribe, POSTing to the URL
        let list_unsubscribe = header::HeaderName::new_from_ascii_str("List-Unsubscribe");
        let one_click = header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post");
        let value = format!("<{}>", crate::mail::single_line(url));
        builder = builder
            .raw_header(header::HeaderValue::new(list_unsubscribe, value))
            .raw_header(header::HeaderValue::new(
                one_click,
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    if let Some(reply_to) = &row.reply_to {
        builder = builder.reply_to(reply_to.parse().context("the reply address is not valid")?);
    }
    builder
        .from(from.clone())
        .to(to)
        .subject(crate::mail::single_line(&row.subject))
        .message_id(Some(row.message_id.clone()))
        .header(header::Date::new(row.created_at.and_utc().into()))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .context("cannot build the message")
}

/// Writes the message where people can open it, atomically, named by id.
async fn write_eml(
    dir: &std::path::Path,
    row: &OutboxEmail,
    message: &Message,
) -> anyhow::Result<()> {
    let path = dir.join(format!("{:06}.eml", row.id.0));
    let partial = dir.join(format!(".{:06}.eml.partial", row.id.0));
    tokio::fs::write(&partial, message.formatted()).await?;
    tokio::fs::rename(&partial, &path).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_then_gives_up() {
        let created = model::now();
        let base = Duration::from_secs(30);
        let at = |attempts, later: i64| {
            let now = created + chrono::Duration::minutes(later);
            next_attempt(created, attempts, base, now).map(|t| (t - now).num_seconds())
        };
        assert_eq!(at(0, 0), Some(30));
        assert_eq!(at(3, 0), Some(240));
        assert_eq!(at(12, 0), Some(3600));
        assert_eq!(at(5, 24 * 60), None);
    }
}
