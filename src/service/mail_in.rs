//! Replies by email: a message sent to someone's reply address becomes their reply on the
//! topic (or, sent to a staff member's note address, an internal note), once. Everything
//! else is dropped with a log line: bounces, auto-replies, unknown, forged or expired keys,
//! a sender who is not the address's owner, and whatever the web would refuse them.

use serde::Serialize;

use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::mail::Composer;
use crate::mail::inbound::{self, Inbound};
use crate::mail::reply_address::{self, Purpose};
use crate::model::{inbound_mail, now, user};

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Posted,
    /// Posted, waiting for a supervisor's approval.
    Pending,
    Noted,
    Dropped {
        reason: &'static str,
    },
}

fn dropped(reason: &'static str, detail: &str) -> Outcome {
    tracing::info!(reason, detail, "inbound mail dropped");
    Outcome::Dropped { reason }
}

/// Takes one raw RFC 5322 message.
pub fn receive(c: &mut DbConn, mail: &Composer, raw: &[u8]) -> AppResult<Outcome> {
    let message = match inbound::read(raw, mail.domain()) {
        Ok(message) => message,
        Err(why) => return Ok(dropped(why.as_str(), "")),
    };
    let today = reply_address::today();
    let mut refused = "unknown_key";
    let key = message.keys.iter().find_map(|k| {
        reply_address::read(mail.signing_key(), k, today)
            .map_err(|why| {
                refused = match why {
                    reply_address::Refused::Expired => "expired_key",
                    _ => "unknown_key",
                }
            })
            .ok()
    });
    let Some((purpose, user_id, topic)) = key else {
        return Ok(dropped(refused, &message.message_key));
    };
    let person = match user::find(c, user_id) {
        Ok(person) => person,
        Err(diesel::result::Error::NotFound) => {
            return Ok(dropped("unknown_key", &message.message_key));
        }
        Err(e) => return Err(e.into()),
    };
    if !person.email.eq_ignore_ascii_case(message.from.trim()) {
        return Ok(dropped("sender_mismatch", &message.message_key));
    }
    match post(c, mail, &message, purpose, &person, topic) {
        Ok(outcome) => {
            tracing::info!(?outcome, user = %user_id, topic = %topic, "inbound mail taken");
            Ok(outcome)
        }
        // a fault of ours: the relay or the MTA tries again later
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(refusal) => Ok(dropped("refused", &refusal.to_string())),
    }
}

fn post(
    c: &mut DbConn,
    mail: &Composer,
    message: &Inbound,
    purpose: Purpose,
    person: &user::User,
    topic: crate::model::TopicId,
) -> AppResult<Outcome> {
    db::write_transaction(c, |c| {
        if !inbound_mail::claim(c, &message.message_key, person.id, topic, now())? {
            return Ok(dropped("duplicate", &message.message_key));
        }
        match purpose {
            Purpose::Reply => {
                let input = super::topic::ReplyInput {
                    body: message.text.clone(),
                    ..Default::default()
                };
                match super::topic::post_reply(c, person, topic, &input)? {
                    super::topic::Posted::Published(_) => Ok(Outcome::Posted),
                    super::topic::Posted::Pending(_) => Ok(Outcome::Pending),
                }
            }
            Purpose::Note => {
                super::workflow::add_note(c, mail, person, topic, &message.text)?;
                Ok(Outcome::Noted)
            }
        }
    })
}
