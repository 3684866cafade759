//! The escalation rule checker: every few seconds (KOTAE_ESCALATION_CHECK_SECONDS) opens
//! what the brands' rules call for, moves unacknowledged escalations to level 2, and sends
//! the hourly digests that are due; finds incidents (spikes of me-toos) and tells the people
//! of resolved ones. Idempotent, and safe on several nodes: a rule's
//! escalation is unique per topic in the database, and level 2 is claimed by one update.

use std::time::Duration;

use tokio::sync::watch;

use crate::db::Db;
use crate::mail::Composer;
use crate::service::{escalation, incident, notify};

pub struct Checker {
    pub db: Db,
    pub search: std::sync::Arc<crate::search::SearchIndex>,
    pub mail: Composer,
    pub every: Duration,
}

impl Checker {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let (mail, search) = (self.mail.clone(), self.search.clone());
            let pass = self
                .db
                .run(move |c| {
                    let (opened, raised) = escalation::check(c, &mail)?;
                    let spikes = incident::check(c, &mail, &search)?;
                    let told = incident::announce(c, &mail)?;
                    let digests = notify::send_digests(c, &mail)? + told;
                    Ok((opened + spikes, raised, digests))
                })
                .await;
            match pass {
                Ok((0, 0, 0)) => {}
                Ok((opened, raised, digests)) => {
                    tracing::info!(opened, raised, digests, "escalation checker");
                    self.mail.wake();
                }
                Err(e) => tracing::warn!(error = %e, "escalation checker: will try again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = shutdown.changed() => break,
            }
        }
    }
}
