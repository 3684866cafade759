//! Closing the loop, confirmed: when a problem is solved or an idea implemented, its author
//! and everyone who said "me too" are asked "Did this fix it for you?", in the mail and on
//! the page. A "no" reopens the topic and escalates it again; the answers feed insights.

use chrono::{NaiveDateTime, Timelike};
use serde::Serialize;
use serde_json::json;

use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::mail::Composer;
use crate::model::escalation::NewEscalation;
use crate::model::event::{self, EventKind};
use crate::model::topic::{self, Topic};
use crate::model::topic_status::Status;
use crate::model::user::{self, User};
use crate::model::{TopicId, UserId, brand, fix_answer, me_too, now};
use crate::secret::SigningKey;

/// Whether a topic in this status asks its people if it is fixed.
pub fn asks(status: &str) -> bool {
    status == Status::Solved.as_str() || status == Status::Implemented.as_str()
}

/// A resolution, named by its time to the millisecond (as the mail's link carries it).
fn round_of(resolved_at: NaiveDateTime) -> NaiveDateTime {
    let millis = resolved_at.nanosecond() / 1_000_000 * 1_000_000;
    resolved_at.with_nanosecond(millis).unwrap_or(resolved_at)
}

/// The resolution a topic asks about now, if it asks.
pub fn current_round(found: &Topic) -> Option<NaiveDateTime> {
    found
        .resolved_at
        .filter(|_| asks(&found.status))
        .map(round_of)
}

/// Whether this person is asked: the author, or someone who said "me too".
pub fn is_asked(c: &mut DbConn, found: &Topic, user: UserId) -> AppResult<bool> {
    Ok(found.author_id == user || me_too::has(c, found.id, user)?)
}

/// Whether the page should ask this viewer now: asked, and not answered for this resolution.
pub fn asks_viewer(c: &mut DbConn, found: &Topic, user: UserId) -> AppResult<bool> {
    let Some(round) = current_round(found) else {
        return Ok(false);
    };
    Ok(is_asked(c, found, user)? && fix_answer::answer_of(c, found.id, user, round)?.is_none())
}

/// The signed secret in a mail's answer links: who, which topic, which resolution.
pub fn token(key: &SigningKey, user: UserId, topic: TopicId, round: NaiveDateTime) -> String {
    let message = format!("{user}.{topic}.{}", round.and_utc().timestamp_millis());
    format!("{message}.{}", key.sign("fixed", &message))
}

/// Reads an answer link's token back; None when this server did not make it.
pub fn read_token(key: &SigningKey, token: &str) -> Option<(UserId, TopicId, NaiveDateTime)> {
    if token.len() > 200 {
        return None;
    }
    let mut parts = token.splitn(4, '.');
    let (user, topic, round, signature) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !key.verify("fixed", &format!("{user}.{topic}.{round}"), signature) {
        return None;
    }
    let round = chrono::DateTime::from_timestamp_millis(round.parse().ok()?)?.naive_utc();
    Some((
        UserId(user.parse().ok()?),
        TopicId(topic.parse().ok()?),
        round,
    ))
}

#[derive(Debug, Serialize)]
pub struct Answered {
    pub fixed: bool,
    /// The topic opened again because of this answer.
    pub reopened: bool,
    /// How many people said this resolution did not fix it.
    pub not_fixed: i64,
    pub status: String,
}

/// A signed-in member answers on the page (or through the API), about the current resolution.
pub fn answer(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    fixed: bool,
) -> AppResult<Answered> {
    db::write_transaction(c, |c| {
        let found = super::topic::visible(c, id)?;
        let Some(round) = current_round(&found) else {
            return Err(AppError::Conflict("this topic is not marked fixed"));
        };
        answer_in(c, mail, me.id, &found, round, fixed)
    })
}

/// The answer from a mail's link: whoever the token was made for, about that resolution.
pub fn answer_by_token(
    c: &mut DbConn,
    mail: &Composer,
    key: &SigningKey,
    token: &str,
    fixed: bool,
) -> AppResult<(Topic, Answered)> {
    let (user_id, id, round) = read_token(key, token)
        .ok_or_else(|| AppError::invalid("token", "token_invalid", "this link is not valid"))?;
    db::write_transaction(c, |c| {
        let found = super::topic::visible(c, id)?;
        let answered = answer_in(c, mail, user_id, &found, round, fixed)?;
        Ok((topic::find(c, id)?, answered))
    })
}

fn answer_in(
    c: &mut DbConn,
    mail: &Composer,
    user_id: UserId,
    found: &Topic,
    round: NaiveDateTime,
    fixed: bool,
) -> AppResult<Answered> {
    db::backend::lock_topic(c, found.id)?;
    let current = topic::find(c, found.id)?;
    if !is_asked(c, &current, user_id)? {
        return Err(AppError::Forbidden);
    }
    let at = now();
    fix_answer::record(c, current.id, user_id, round, fixed, at)?;
    let not_fixed = fix_answer::not_fixed(c, current.id, round)?;
    let still_this_round = current_round(&current) == Some(round);
    let reopened = !fixed && still_this_round;
    if reopened {
        reopen(c, mail, &current, user_id, not_fixed)?;
    }
    Ok(Answered {
        fixed,
        reopened,
        not_fixed,
        status: topic::find(c, current.id)?.status,
    })
}

/// Opens the topic again and escalates it, when its brand has staff to hear it.
fn reopen(
    c: &mut DbConn,
    mail: &Composer,
    found: &Topic,
    by: UserId,
    not_fixed: i64,
) -> AppResult<()> {
    let at = now();
    topic::set_status(c, found.id, Status::Open.as_str(), None, at)?;
    crate::model::search_change::record(c, found.id, at)?;
    event::insert(
        c,
        found.id,
        Some(by),
        EventKind::Reopened,
        &json!({ "from": found.status, "not_fixed": not_fixed }),
        at,
    )?;
    let after = Topic {
        status: Status::Open.as_str().to_string(),
        ..found.clone()
    };
    let detail = json!({ "from": found.status, "to": after.status, "not_fixed": not_fixed });
    super::webhook::emit(c, &after, "topic.status_changed", detail)?;
    if brand::find(c, found.brand_id)?.claimed_at.is_none() {
        return Ok(());
    }
    let person = user::find(c, by)?;
    let reason = format!(
        "not fixed for {not_fixed} customer(s) after it was set {}",
        found.status.replace('_', " ")
    );
    let row = NewEscalation {
        topic: found.id,
        brand: found.brand_id,
        level: 1,
        reason: &reason,
        source: "not_fixed",
        rule: None,
        opened_by: Some(by),
    };
    let reopened = topic::find(c, found.id)?;
    super::escalation::open(c, mail, &reopened, &row, Some(&person))?;
    Ok(())
}
