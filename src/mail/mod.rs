//! Mail: composing messages into the outbox (inside the caller's transaction) and the
//! sender task that delivers them.

pub mod inbound;
pub mod reply_address;
pub mod sender;

use std::sync::Arc;

use tera::{Context, Tera};
use tokio::sync::Notify;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};
use crate::model::{self, outbox::NewOutboxEmail};

/// One message to queue.
pub struct Mail<'a> {
    pub to: &'a str,
    pub lang: Lang,
    /// Names templates/mail/{template}.txt and .html, and the subject key mail.{template}.subject.
    pub template: &'a str,
    pub context: Context,
    /// Same key, same message: a repeated event never mails twice.
    pub dedupe_key: String,
    /// The one-click unsubscribe URL, for mail people can opt out of.
    pub unsubscribe: Option<String>,
    /// The recipient's own reply address (see `reply_address`): replying posts.
    pub reply_to: Option<reply_address::ReplyTo>,
}

/// Renders mail in the recipient's language and queues it; wakes the sender after commit.
#[derive(Clone)]
pub struct Composer {
    tera: Arc<Tera>,
    base_url: String,
    domain: String,
    wake: Arc<Notify>,
    hooks_wake: Arc<Notify>,
    key: crate::secret::SigningKey,
}

impl Composer {
    pub fn new(
        tera: Arc<Tera>,
        base_url: String,
        from: &lettre::message::Mailbox,
        key: crate::secret::SigningKey,
    ) -> Composer {
        Composer {
            tera,
            base_url,
            domain: from.email.domain().to_string(),
            wake: Arc::new(Notify::new()),
            hooks_wake: Arc::new(Notify::new()),
            key,
        }
    }

    /// The one-click link that stops a member's mail about a topic.
    pub fn unsubscribe_link(&self, user: model::UserId, topic: model::TopicId) -> String {
        format!(
            "{}/unsubscribe?token={}",
            self.base_url,
            crate::service::topic::unsubscribe_token(&self.key, user, topic)
        )
    }

    /// The one-click answer to "Did this fix it for you?" about one resolution of a topic.
    pub fn fixed_link(
        &self,
        user: model::UserId,
        topic: model::TopicId,
        round: chrono::NaiveDateTime,
        fixed: bool,
    ) -> String {
        format!(
            "{}/fixed?token={}&answer={}",
            self.base_url,
            crate::service::fixed::token(&self.key, user, topic, round),
            if fixed { "yes" } else { "no" }
        )
    }

    /// A topic's page, absolute, for mail.
    pub fn topic_link(&self, brand_slug: &str, topic: model::TopicId, title: &str) -> String {
        format!(
            "{}{}",
            self.base_url,
            crate::web::topics::topic_url(brand_slug, topic, title)
        )
    }

    /// The address whose replies post as `user` on `topic` (a reply, or a staff note).
    pub fn reply_to(
        &self,
        purpose: reply_address::Purpose,
        user: model::UserId,
        topic: model::TopicId,
    ) -> reply_address::ReplyTo {
        reply_address::ReplyTo {
            purpose,
            address: reply_address::address(&self.key, &self.domain, purpose, user, topic),
        }
    }

    /// The domain of KOTAE_MAIL_FROM, where reply addresses live.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn signing_key(&self) -> &crate::secret::SigningKey {
        &self.key
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The signal the sender waits on.
    pub fn wake_signal(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The signal the webhook sender waits on.
    pub fn hooks_wake_signal(&self) -> Arc<Notify> {
        self.hooks_wake.clone()
    }

    /// Tells the mail and webhook senders new rows are committed.
    pub fn wake(&self) {
        self.wake.notify_one();
        self.hooks_wake.notify_one();
    }

    /// Writes the message to the outbox on `c`; call inside the event's transaction.
    pub fn enqueue(&self, c: &mut DbConn, mail: Mail) -> AppResult<()> {
        self.enqueue_checked(c, mail, None)
    }

    /// Queues staff mail: when it is sent, the recipient must still work `brand`, or it is
    /// not sent (and the skip is logged).
    pub fn enqueue_for_staff(
        &self,
        c: &mut DbConn,
        mail: Mail,
        brand: model::BrandId,
        recipient: model::UserId,
    ) -> AppResult<()> {
        self.enqueue_checked(c, mail, Some((brand, recipient)))
    }

    fn enqueue_checked(
        &self,
        c: &mut DbConn,
        mail: Mail,
        staff_of: Option<(model::BrandId, model::UserId)>,
    ) -> AppResult<()> {
        let mut context = mail.context;
        context.insert("lang", mail.lang.code());
        context.insert("base_url", &self.base_url);
        let subject_key = format!("mail.{}.subject", mail.template);
        let subject = fill_from(
            &context,
            &i18n::t_with(mail.lang, &subject_key, &[("site", "Kotae")]),
        );
        let subject = single_line(&subject);
        context.insert("subject", &subject);
        let marker = mail.reply_to.as_ref().map(|r| {
            let key = match r.purpose {
                reply_address::Purpose::Reply => "mail.reply_marker",
                reply_address::Purpose::Note => "mail.note_marker",
            };
            i18n::t(mail.lang, key)
        });
        if let Some(marker) = &marker {
            context.insert("reply_marker", marker);
        }
        let render = |name: String| {
            self.tera
                .render(&name, &context)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("mail template {name}: {e}")))
        };
        let mut body_text = render(format!("mail/{}.txt", mail.template))?;
        if let Some(marker) = marker {
            body_text = format!("{marker}\n\n{body_text}");
        }
        let body_html = render(format!("mail/{}.html", mail.template))?;
        let now = model::now();
        let row = NewOutboxEmail {
            dedupe_key: mail.dedupe_key,
            message_id: format!("<{}@{}>", crate::secret::random_token(), self.domain),
            to_address: mail.to.trim().to_string(),
            subject,
            body_text,
            body_html,
            next_attempt_at: now,
            created_at: now,
            list_unsubscribe: mail.unsubscribe,
            staff_of_brand: staff_of.map(|(b, _)| b),
            recipient_id: staff_of.map(|(_, u)| u),
            reply_to: mail.reply_to.map(|r| r.address),
        };
        model::outbox::enqueue(c, &row)?;
        Ok(())
    }
}

/// Fills `{name}` placeholders with the context's string values of that name.
fn fill_from(context: &Context, text: &str) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        filled.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        filled.push_str(context.get(name).and_then(|v| v.as_str()).unwrap_or(""));
        rest = &rest[start + len + 1..];
    }
    filled.push_str(rest);
    filled
}

/// Text safe for a header: control characters (CR and LF among them) become spaces.
pub fn single_line(text: &str) -> String {
    text.chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect()
}
