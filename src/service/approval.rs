//! Supervised replies: the official answers of staff marked "needs approval" wait in a queue
//! for the brand's admins, who publish them (edited if need be) or send them back with a note.
//! Until then they are not replies at all, so no page, feed, search or mail can show them.

use super::topic::{Publish, publish};
use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::markdown;
use crate::model::brand::{self, Brand};
use crate::model::pending_reply::{self, PendingReply, PendingView};
use crate::model::reply::ReplyView;
use crate::model::user::{self, User};
use crate::model::{PendingReplyId, now, topic};
use crate::service::verification::Verification;

pub const LIST_MAX: i64 = 200;
pub const NOTE_MAX: usize = 2_000;

/// What the approvals page lists: every waiting answer for the brand's admins, and their
/// own (waiting or sent back) for the staff who wrote them.
pub fn list(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, bool, Vec<PendingView>)> {
    let found = brand::find_by_slug(c, slug)?;
    let access = authz::staff_of(c, found.id, me)?;
    let author = (!access.admin()).then_some(me.id);
    let rows = pending_reply::list(c, found.id, author, LIST_MAX)?;
    Ok((found, access.admin(), rows))
}

/// A pending answer and the right to decide on it (its brand's admins).
fn decidable(c: &mut DbConn, me: &User, id: PendingReplyId) -> AppResult<PendingReply> {
    let found = pending_reply::find(c, id)?;
    authz::admin_of(c, found.brand_id, me)?;
    if found.state != "pending" {
        return Err(AppError::Conflict("this answer is no longer waiting"));
    }
    Ok(found)
}

/// Publishes a waiting answer as its author wrote it, or with the supervisor's edits.
pub fn approve(
    c: &mut DbConn,
    me: &User,
    id: PendingReplyId,
    edited: Option<&str>,
) -> AppResult<ReplyView> {
    let waiting = decidable(c, me, id)?;
    let mut errors = vec![];
    let body = match edited.map(str::trim).filter(|b| !b.is_empty()) {
        Some(text) => validate::body("body", text, 1, super::topic::REPLY_MAX, &mut errors),
        None => waiting.body.clone(),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let body_html = markdown::to_html(&body);
    db::write_transaction(c, |c| {
        let author = user::find(c, waiting.author_id)?;
        let found = topic::find(c, waiting.topic_id)?;
        let access = authz::access(c, found.brand_id, Some(&author))?;
        if !access.official() {
            return Err(AppError::Conflict(
                "its author no longer works for the brand",
            ));
        }
        if pending_reply::delete(c, id)? == 0 {
            return Err(AppError::Conflict("this answer is no longer waiting"));
        }
        let verification = (waiting.verified_version.is_some() || waiting.review_at.is_some())
            .then(|| Verification {
                version: waiting.verified_version.clone(),
                review_at: waiting.review_at,
            });
        let reply = Publish {
            body: &body,
            body_html: &body_html,
            official_answer: waiting.official_answer,
            verification,
        };
        publish(c, &author, &found, access, &reply)
    })
}

/// Sends a waiting answer back to its author with a note.
pub fn send_back(c: &mut DbConn, me: &User, id: PendingReplyId, note: &str) -> AppResult<()> {
    decidable(c, me, id)?;
    let mut errors = vec![];
    let note = validate::plain_text("note", note, 1, NOTE_MAX, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        if pending_reply::send_back(c, id, &note, me.id, now())? {
            Ok(())
        } else {
            Err(AppError::Conflict("this answer is no longer waiting"))
        }
    })
}

/// The author drops an answer that was sent back (or withdraws a waiting one).
pub fn withdraw(c: &mut DbConn, me: &User, id: PendingReplyId) -> AppResult<()> {
    let found = pending_reply::find(c, id)?;
    if found.author_id != me.id {
        return Err(AppError::Forbidden);
    }
    db::write_transaction(c, |c| pending_reply::delete(c, id).map(drop))?;
    Ok(())
}
