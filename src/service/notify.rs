//! Telling staff: by mail at once, in the hourly digest, or not at all, as each chose.

use chrono::Duration;
use tera::Context;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::mail::reply_address::Purpose;
use crate::mail::{Composer, Mail};
use crate::model::brand::Brand;
use crate::model::notification::{self, Mode, NewDigestItem};
use crate::model::now;
use crate::model::user::{self, User};

/// One thing to tell a staff member.
pub struct Notice<'a> {
    /// The kind they tune: escalation, assigned, mention.
    pub kind: &'static str,
    /// Level-2 escalations cannot be turned off or put off.
    pub always: bool,
    pub template: &'a str,
    pub context: Context,
    pub dedupe_key: String,
    /// The topic it is about: replying to the mail adds an internal note there.
    pub topic: Option<crate::model::TopicId>,
    /// For the digest: the topic's title, one line of what happened, and the link.
    pub title: &'a str,
    pub detail: String,
    pub url: &'a str,
}

pub fn staff_member(
    c: &mut DbConn,
    mail: &Composer,
    to: &User,
    brand: &Brand,
    notice: Notice,
) -> AppResult<()> {
    let mode = if notice.always {
        Mode::Immediately
    } else {
        notification::mode(c, to.id, notice.kind)?
    };
    match mode {
        Mode::Off => Ok(()),
        Mode::Hourly => {
            let item = NewDigestItem {
                user: to.id,
                brand: brand.id,
                kind: notice.kind,
                title: notice.title,
                detail: &notice.detail,
                url: notice.url,
            };
            Ok(notification::add_to_digest(c, &item, now())?)
        }
        Mode::Immediately => {
            let message = Mail {
                to: &to.email,
                lang: Lang::parse(&to.language).unwrap_or_default(),
                template: notice.template,
                context: notice.context,
                dedupe_key: notice.dedupe_key,
                unsubscribe: None,
                reply_to: notice
                    .topic
                    .map(|topic| mail.reply_to(Purpose::Note, to.id, topic)),
            };
            mail.enqueue_for_staff(c, message, brand.id, to.id)
        }
    }
}

/// How long a digest waits before it goes out.
pub const DIGEST_EVERY: Duration = Duration::hours(1);

/// Mails every digest that is due: one message per member with what piled up.
pub fn send_digests(c: &mut DbConn, mail: &Composer) -> AppResult<usize> {
    let due = notification::due_digests(c, now() - DIGEST_EVERY)?;
    let mut sent = 0;
    for user_id in due {
        crate::db::write_transaction(c, |c| {
            let items = notification::take_digest(c, user_id)?;
            let Some(last) = items.last() else {
                return Ok::<_, crate::error::AppError>(());
            };
            let person = user::find(c, user_id)?;
            let mut context = Context::new();
            context.insert("username", &person.display_name);
            context.insert("count", &items.len().to_string());
            context.insert("items", &items);
            mail.enqueue(
                c,
                Mail {
                    to: &person.email,
                    lang: Lang::parse(&person.language).unwrap_or_default(),
                    template: "digest",
                    context,
                    dedupe_key: format!("digest:{user_id}:{}", last.id),
                    unsubscribe: None,
                    reply_to: None,
                },
            )?;
            sent += 1;
            Ok(())
        })?;
    }
    Ok(sent)
}
