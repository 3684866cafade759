//! A brand's staff: invitations, roles and titles, the first-response target, saved replies.

use chrono::Duration;
use serde::Deserialize;
use tera::Context;

use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::{Composer, Mail};
use crate::model::brand::{self, Brand};
use crate::model::invitation::{self, NewInvitation};
use crate::model::member::{self, Role, StaffView};
use crate::model::saved_reply::{self, SavedReply};
use crate::model::user::{self, User};
use crate::model::{SavedReplyId, UserId, now};

pub const TITLE_MAX: usize = 60;
pub const INVITATION_LIFETIME: Duration = Duration::days(7);
/// The longest first-response target: 30 days, in minutes.
pub const TARGET_MAX_MINUTES: i32 = 30 * 24 * 60;
pub const SAVED_REPLIES_MAX: i64 = 200;
pub const SAVED_TITLE_MAX: usize = 100;
pub const SAVED_BODY_MAX: usize = 10_000;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct StaffInput {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub title: Option<String>,
}

/// What adding staff did: added a member, or mailed an invitation.
#[derive(Debug)]
pub enum Added {
    Member(UserId),
    Invited(String),
}

fn role_and_title(role: &str, title: Option<&str>) -> AppResult<(Role, String)> {
    let mut errors = vec![];
    let role = Role::parse(role.trim());
    if role.is_none() {
        errors.push(crate::error::FieldError::new(
            "role",
            "role_invalid",
            "choose staff or admin",
        ));
    }
    let title = validate::plain_text("title", title.unwrap_or(""), 0, TITLE_MAX, &mut errors);
    match role {
        Some(role) if errors.is_empty() => Ok((role, title)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The brand a staff action is about, and the caller's right to act as its admin.
fn admin_brand(c: &mut DbConn, me: &User, slug: &str) -> AppResult<Brand> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    Ok(found)
}

/// Adds staff by username, or invites by email. An email always gets an invitation, whether
/// or not an account uses it, so the answer never tells which addresses are registered.
pub fn add(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    slug: &str,
    input: &StaffInput,
) -> AppResult<Added> {
    let found = admin_brand(c, me, slug)?;
    let (role, title) = role_and_title(&input.role, input.title.as_deref())?;
    let username = input
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(name) = username {
        let Some(person) = user::find_by_username(c, name)? else {
            return Err(AppError::invalid(
                "username",
                "user_unknown",
                "no member has this username",
            ));
        };
        db::write_transaction(c, |c| {
            member::upsert(c, found.id, person.id, role, &title, now())
        })?;
        return Ok(Added::Member(person.id));
    }
    let mut errors = vec![];
    let Some(email) = email.map(|e| validate::email("email", e, &mut errors)) else {
        return Err(AppError::invalid(
            "username",
            "required",
            "give a username or an email address",
        ));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        let at = now();
        let token = invitation::insert(
            c,
            &NewInvitation {
                brand: found.id,
                email: &email,
                role: role.as_str(),
                title: &title,
                invited_by: me.id,
                expires_at: at + INVITATION_LIFETIME,
            },
            at,
        )?;
        let mut context = Context::new();
        context.insert("brand", &found.name);
        context.insert("inviter", &me.display_name);
        context.insert("role", role.as_str());
        context.insert(
            "link",
            &format!("{}/invitations/accept?token={token}", mail.base_url()),
        );
        mail.enqueue(
            c,
            Mail {
                to: &email,
                lang: Lang::parse(&me.language).unwrap_or_default(),
                template: "staff_invitation",
                context,
                dedupe_key: format!("invite:{}", crate::secret::token_hash(&token)),
                unsubscribe: None,
                reply_to: None,
            },
        )?;
        Ok(Added::Invited(email.clone()))
    })
}

/// Follows an invitation link: the caller joins the brand's staff (never losing a higher role).
pub fn accept_invitation(c: &mut DbConn, me: &User, token: &str) -> AppResult<Brand> {
    authz::may_post(me)?;
    let invalid = || {
        AppError::invalid(
            "token",
            "token_invalid",
            "this link is invalid, already used, or expired",
        )
    };
    if token.is_empty() || token.len() > 100 {
        return Err(invalid());
    }
    db::write_transaction(c, |c| {
        let at = now();
        let spent = invitation::spend(c, token, at)?.ok_or_else(invalid)?;
        let offered = Role::parse(&spent.role).unwrap_or(Role::Staff);
        let current = member::role_of(c, spent.brand_id, me.id)?;
        let role = current.map_or(offered, |r| r.max(offered));
        member::upsert(c, spent.brand_id, me.id, role, &spent.title, at)?;
        // staff of a brand that requires its provider keep only sessions made through it
        let link = crate::model::oidc::brand_link(c, spent.brand_id)?;
        if let Some(link) = link.filter(|l| l.staff_only) {
            crate::model::oidc::end_other_sessions(c, &[me.id], link.provider_id)?;
        }
        Ok(brand::find(c, spent.brand_id)?)
    })
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct StaffChange {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// Their official answers wait for an admin's approval.
    #[serde(default)]
    pub needs_approval: Option<bool>,
}

/// Changes a staff member's role, title or supervision; a brand keeps at least one admin.
pub fn update(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    who: UserId,
    change: &StaffChange,
) -> AppResult<()> {
    let found = admin_brand(c, me, slug)?;
    db::write_transaction(c, |c| {
        let staff = member::list(c, found.id)?;
        let current = staff
            .iter()
            .find(|s| s.user_id == who)
            .ok_or(AppError::NotFound)?;
        let (role, title) = role_and_title(
            change.role.as_deref().unwrap_or(&current.role),
            Some(change.title.as_deref().unwrap_or(&current.title)),
        )?;
        if current.role == Role::Admin.as_str()
            && role != Role::Admin
            && member::admin_count(c, found.id)? <= 1
        {
            return Err(AppError::Conflict("a brand keeps at least one admin"));
        }
        member::upsert(c, found.id, who, role, &title, now())?;
        if let Some(needs) = change.needs_approval {
            member::set_needs_approval(c, found.id, who, needs)?;
        }
        Ok(())
    })
}

pub fn remove(c: &mut DbConn, me: &User, slug: &str, who: UserId) -> AppResult<()> {
    let found = admin_brand(c, me, slug)?;
    db::write_transaction(c, |c| {
        let role = member::role_of(c, found.id, who)?.ok_or(AppError::NotFound)?;
        if role == Role::Admin && member::admin_count(c, found.id)? <= 1 {
            return Err(AppError::Conflict("a brand keeps at least one admin"));
        }
        member::remove(c, found.id, who)?;
        Ok(())
    })
}

/// The brand's staff, for its staff.
pub fn list(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<StaffView>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let staff = member::list(c, found.id)?;
    Ok((found, staff))
}

/// Sets how soon the brand means to answer a new topic (None: no target).
pub fn set_target(c: &mut DbConn, me: &User, slug: &str, minutes: Option<i32>) -> AppResult<()> {
    let found = admin_brand(c, me, slug)?;
    if minutes.is_some_and(|m| !(1..=TARGET_MAX_MINUTES).contains(&m)) {
        return Err(AppError::invalid(
            "first_response_minutes",
            "out_of_range",
            format!("between 1 and {TARGET_MAX_MINUTES} minutes"),
        ));
    }
    db::write_transaction(c, |c| {
        Ok(brand::set_first_response_target(c, found.id, minutes)?)
    })
}

pub fn saved_replies(c: &mut DbConn, me: &User, slug: &str) -> AppResult<Vec<SavedReply>> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    Ok(saved_reply::of_brand(c, found.id)?)
}

pub fn add_saved_reply(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    title: &str,
    body: &str,
) -> AppResult<SavedReply> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let mut errors = vec![];
    let title = validate::plain_text("title", title, 1, SAVED_TITLE_MAX, &mut errors);
    let body = validate::body("body", body, 1, SAVED_BODY_MAX, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        if saved_reply::count(c, found.id)? >= SAVED_REPLIES_MAX {
            return Err(AppError::Conflict(
                "this brand has as many saved replies as it may",
            ));
        }
        let id = saved_reply::insert(c, found.id, &title, &body, me.id, now())?;
        Ok(saved_reply::find(c, id)?)
    })
}

pub fn delete_saved_reply(c: &mut DbConn, me: &User, id: SavedReplyId) -> AppResult<()> {
    let found = saved_reply::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| Ok(saved_reply::delete(c, id).map(drop)?))
}

/// The text of a saved reply, for staff answering a topic of the same brand.
pub fn saved_reply_for(
    c: &mut DbConn,
    me: &User,
    topic_id: crate::model::TopicId,
    id: SavedReplyId,
) -> AppResult<String> {
    let found = saved_reply::find(c, id)?;
    let target = crate::model::topic::find(c, topic_id)?;
    authz::staff_of(c, found.brand_id, me)?;
    if target.brand_id != found.brand_id {
        return Err(AppError::NotFound);
    }
    Ok(found.body)
}
