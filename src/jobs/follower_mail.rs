//! Mail to followers about new replies: at most one mail per topic and follower per quarter
//! hour, bundling the replies that came meanwhile, each with a one-click unsubscribe.

use std::time::Duration;

use tera::Context;
use tokio::sync::watch;

use crate::db::{self, Db, DbConn};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::mail::reply_address::Purpose;
use crate::mail::{Composer, Mail};
use crate::markdown;
use crate::model::follow::{self, PendingMail};
use crate::model::{brand, now, reply, topic, user};
use crate::secret::SigningKey;

/// The quiet time between two mails about one topic to one follower.
const QUIET: chrono::Duration = chrono::Duration::minutes(15);
const POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 50;
const REPLIES_PER_MAIL: i64 = 20;

pub struct FollowerMail {
    pub db: Db,
    pub mail: Composer,
    pub key: SigningKey,
}

impl FollowerMail {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let (mail, key) = (self.mail.clone(), self.key.clone());
            match self.db.run(move |c| send_due(c, &mail, &key)).await {
                Ok(0) => {}
                Ok(_) => self.mail.wake(),
                Err(e) => tracing::warn!(error = %e, "follower mail: will try again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => break,
            }
        }
    }
}

/// Queues the mail of every follower whose quiet time is over; returns how many.
pub fn send_due(c: &mut DbConn, mail: &Composer, key: &SigningKey) -> AppResult<usize> {
    let due = follow::due(c, now() - QUIET, BATCH)?;
    let count = due.len();
    for pending in due {
        db::write_transaction(c, |c| send_one(c, mail, key, &pending))?;
    }
    Ok(count)
}

fn send_one(
    c: &mut DbConn,
    mail: &Composer,
    key: &SigningKey,
    pending: &PendingMail,
) -> AppResult<()> {
    let found = topic::find(c, pending.topic_id)?;
    let follower = user::find(c, pending.user_id)?;
    // who may read it is checked now, at sending, not only when the reply was written
    let replies = reply::since(c, found.id, pending.first_reply, REPLIES_PER_MAIL)?;
    let replies: Vec<_> = replies
        .into_iter()
        .filter(|r| r.reply.author_id != follower.id)
        .collect();
    if !found.hidden && follower.email_verified && !replies.is_empty() {
        let found_brand = brand::find(c, found.brand_id)?;
        let url = format!(
            "{}{}",
            mail.base_url(),
            crate::web::topics::topic_url(&found_brand.slug, found.id, &found.title)
        );
        let unsubscribe = format!(
            "{}/unsubscribe?token={}",
            mail.base_url(),
            crate::service::topic::unsubscribe_token(key, follower.id, found.id)
        );
        let mut context = Context::new();
        context.insert("username", &follower.display_name);
        context.insert("title", &found.title);
        context.insert("brand", &found_brand.name);
        context.insert("url", &url);
        context.insert("count", &replies.len());
        context.insert("unsubscribe", &unsubscribe);
        let items: Vec<serde_json::Value> = replies
            .iter()
            .map(|r| serde_json::json!({ "author": r.author_name, "excerpt": markdown::excerpt(&r.reply.body, 400) }))
            .collect();
        context.insert("replies", &items);
        mail.enqueue(
            c,
            Mail {
                to: &follower.email,
                lang: Lang::parse(&follower.language).unwrap_or_default(),
                template: "new_replies",
                context,
                dedupe_key: format!(
                    "replies:{}:{}:{}",
                    follower.id, found.id, pending.first_reply
                ),
                unsubscribe: Some(unsubscribe),
                reply_to: Some(mail.reply_to(Purpose::Reply, follower.id, found.id)),
            },
        )?;
    }
    follow::mark_mailed(c, pending, now())?;
    Ok(())
}
