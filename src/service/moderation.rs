//! Moderation: flags from members, hiding and restoring posts, locks, merging duplicates,
//! moving topics between products, and bans.

use serde::Deserialize;
use serde_json::json;

use super::validate;
use super::workflow::topic_with_access;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::model::brand::{self, Brand};
use crate::model::event::{self, EventKind};
use crate::model::flag::{self, FlagView, NewFlag, REASONS};
use crate::model::topic::{self, HiddenPost, Topic};
use crate::model::user::{self, User};
use crate::model::{FlagId, ReplyId, TopicId, follow, me_too, now, reply, session};

pub const FLAG_NOTE_MAX: usize = 500;
pub const QUEUE_MAX: i64 = 200;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct FlagInput {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A member reports a topic, or one of its replies; once per member and post while open.
pub fn flag(
    c: &mut DbConn,
    me: &User,
    id: TopicId,
    reply_id: Option<ReplyId>,
    input: &FlagInput,
) -> AppResult<()> {
    authz::may_post(me)?;
    let (found, _) = topic_with_access(c, id, Some(me))?;
    if let Some(r) = reply_id {
        let target = reply::find(c, r)?;
        if target.topic_id != id {
            return Err(AppError::NotFound);
        }
    }
    let mut errors = vec![];
    let reason = input.reason.trim();
    if !REASONS.contains(&reason) {
        errors.push(crate::error::FieldError::new(
            "reason",
            "reason_invalid",
            "choose spam, abuse, off_topic or other",
        ));
    }
    let note = validate::plain_text(
        "note",
        input.note.as_deref().unwrap_or(""),
        0,
        FLAG_NOTE_MAX,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        flag::insert(
            c,
            &NewFlag {
                brand: found.brand_id,
                topic: id,
                reply: reply_id,
                reporter: me.id,
                reason,
                note: &note,
            },
            now(),
        )?;
        Ok(())
    })
}

/// Open flags of one brand, for its staff and the site admins.
pub fn queue(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<FlagView>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let flags = flag::open(c, Some(found.id), QUEUE_MAX)?;
    Ok((found, flags))
}

/// Posts moderators hid in one brand, so a mistake can be undone: topics, then replies.
pub fn hidden(
    c: &mut DbConn,
    me: &User,
    brand_id: crate::model::BrandId,
) -> AppResult<Vec<HiddenPost>> {
    authz::staff_of(c, brand_id, me)?;
    let mut posts = topic::hidden_of_brand(c, brand_id, QUEUE_MAX)?;
    posts.extend(topic::hidden_replies_of_brand(c, brand_id, QUEUE_MAX)?);
    for post in &mut posts {
        post.body = crate::markdown::excerpt(&post.body, 200);
    }
    Ok(posts)
}

/// Every brand's open flags, for site admins.
pub fn all_flags(c: &mut DbConn, me: &User) -> AppResult<Vec<FlagView>> {
    authz::site_admin(me)?;
    Ok(flag::open(c, None, QUEUE_MAX)?)
}

/// Closes a flag without acting on the post.
pub fn dismiss(c: &mut DbConn, me: &User, id: FlagId) -> AppResult<()> {
    let found = flag::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| Ok(flag::resolve(c, &[id], me.id, now()).map(drop)?))
}

fn staff_topic(c: &mut DbConn, me: &User, id: TopicId) -> AppResult<Topic> {
    let (found, _) = topic_with_access(c, id, Some(me))?;
    authz::staff_of(c, found.brand_id, me)?;
    Ok(found)
}

/// Hides a topic from everyone but staff (closing its flags), or shows it again.
pub fn set_topic_hidden(c: &mut DbConn, me: &User, id: TopicId, hidden: bool) -> AppResult<()> {
    staff_topic(c, me, id)?;
    db::write_transaction(c, |c| {
        let at = now();
        topic::set_hidden(c, id, hidden)?;
        crate::model::search_change::record(c, id, at)?;
        let kind = if hidden {
            EventKind::Hidden
        } else {
            EventKind::Restored
        };
        event::insert(c, id, Some(me.id), kind, &json!({}), at)?;
        if hidden {
            flag::resolve_post(c, id, None, me.id, at)?;
        }
        Ok(())
    })
}

/// Hides a reply (closing its flags), or shows it again.
pub fn set_reply_hidden(c: &mut DbConn, me: &User, id: ReplyId, hidden: bool) -> AppResult<()> {
    let (target, was_hidden) = reply::find_any(c, id)?;
    staff_topic(c, me, target.topic_id)?;
    if was_hidden == hidden {
        return Ok(());
    }
    db::write_transaction(c, |c| {
        let at = now();
        reply::set_hidden(c, id, hidden)?;
        crate::model::search_change::record(c, target.topic_id, at)?;
        topic::add_reply_count(c, target.topic_id, if hidden { -1 } else { 1 })?;
        let kind = if hidden {
            EventKind::Hidden
        } else {
            EventKind::Restored
        };
        event::insert(
            c,
            target.topic_id,
            Some(me.id),
            kind,
            &json!({ "reply_id": id }),
            at,
        )?;
        if hidden {
            flag::resolve_post(c, target.topic_id, Some(id), me.id, at)?;
        }
        Ok(())
    })
}

/// Locks a topic (no more replies from customers) or unlocks it.
pub fn set_locked(c: &mut DbConn, me: &User, id: TopicId, locked: bool) -> AppResult<()> {
    let found = staff_topic(c, me, id)?;
    if found.locked == locked {
        return Ok(());
    }
    db::write_transaction(c, |c| {
        topic::set_locked(c, id, locked)?;
        let kind = if locked {
            EventKind::Locked
        } else {
            EventKind::Unlocked
        };
        event::insert(c, id, Some(me.id), kind, &json!({}), now())?;
        Ok(())
    })
}

/// Merges a duplicate into another topic of the same brand: its me-toos and followers move
/// over, and its page redirects there.
pub fn merge(c: &mut DbConn, me: &User, id: TopicId, into: TopicId) -> AppResult<Topic> {
    let source = staff_topic(c, me, id)?;
    let target = topic::find(c, into)
        .ok()
        .filter(|t| t.brand_id == source.brand_id && !t.hidden && t.id != id)
        .ok_or_else(|| {
            AppError::invalid(
                "into",
                "topic_invalid",
                "choose another visible topic of this brand",
            )
        })?;
    db::write_transaction(c, |c| {
        let at = now();
        db::backend::lock_topic(c, id)?;
        db::backend::lock_topic(c, into)?;
        // who opened the duplicate has the same problem: a "me too" on the original
        let mut joining = me_too::users_of(c, id)?;
        joining.push(source.author_id);
        for user_id in joining {
            if user_id != target.author_id {
                db::backend::insert_ignoring_duplicate_me_too(c, into, user_id, at)?;
            }
        }
        for user_id in follow::followers_of(c, id)? {
            follow::set(c, into, user_id, true, at)?;
        }
        let count = i32::try_from(me_too::count(c, into)?).unwrap_or(i32::MAX);
        topic::set_me_too_count(c, into, count)?;
        topic::mark_duplicate(c, id, into, at)?;
        crate::model::search_change::record(c, id, at)?;
        crate::model::search_change::record(c, into, at)?;
        super::escalation::resolve_topic(c, id, None, Some(me.id))?;
        event::insert(
            c,
            id,
            Some(me.id),
            EventKind::Merged,
            &json!({ "into": into, "title": target.title }),
            at,
        )?;
        event::insert(
            c,
            into,
            Some(me.id),
            EventKind::Merged,
            &json!({ "from": id, "title": source.title }),
            at,
        )?;
        Ok(topic::find(c, into)?)
    })
}

/// Moves a topic to another product of its brand, or to none.
pub fn move_topic(c: &mut DbConn, me: &User, id: TopicId, product: Option<&str>) -> AppResult<()> {
    let found = staff_topic(c, me, id)?;
    let products = brand::products_of(c, found.brand_id)?;
    let chosen = match product.map(str::trim).filter(|p| !p.is_empty()) {
        Some(slug) => Some(products.iter().find(|p| p.slug == slug).ok_or_else(|| {
            AppError::invalid(
                "product",
                "product_invalid",
                "is not a product of this brand",
            )
        })?),
        None => None,
    };
    db::write_transaction(c, |c| {
        topic::set_product(c, id, chosen.map(|p| p.id))?;
        crate::model::search_change::record(c, id, now())?;
        let detail = json!({ "product": chosen.map(|p| p.name.clone()) });
        event::insert(c, id, Some(me.id), EventKind::Moved, &detail, now())?;
        Ok(())
    })
}

/// A site admin bans a member: their sessions and tokens end at once; optionally every post
/// they wrote is hidden.
pub fn ban(c: &mut DbConn, me: &User, username: &str, hide_posts: bool) -> AppResult<User> {
    authz::site_admin(me)?;
    let target = user::find_by_username(c, username)?.ok_or(AppError::NotFound)?;
    if target.site_admin || target.id == me.id {
        return Err(AppError::Conflict("site admins cannot be banned"));
    }
    db::write_transaction(c, |c| {
        user::set_banned(c, target.id, Some(now()))?;
        session::delete_all_for_user(c, target.id, None)?;
        if hide_posts {
            topic::set_hidden_by_author(c, target.id, true)?;
            reply::hide_by_author(c, target.id)?;
            crate::model::search_change::record_member(c, target.id, now())?;
        }
        Ok(user::find(c, target.id)?)
    })
}

pub fn unban(c: &mut DbConn, me: &User, username: &str) -> AppResult<()> {
    authz::site_admin(me)?;
    let target = user::find_by_username(c, username)?.ok_or(AppError::NotFound)?;
    db::write_transaction(c, |c| Ok(user::set_banned(c, target.id, None)?))
}
