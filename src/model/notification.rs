//! How each staff member wants to hear of things, per kind: at once, in an hourly digest,
//! or not at all; and what waits for the digest.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, DigestItemId, UserId};
use crate::db::DbConn;
use crate::db::schema::{digest_items, notification_settings};

/// The kinds of staff notification one can tune.
pub const KINDS: [&str; 3] = ["escalation", "assigned", "mention"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Immediately,
    Hourly,
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediately => "immediately",
            Mode::Hourly => "hourly",
            Mode::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        [Mode::Immediately, Mode::Hourly, Mode::Off]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

pub fn mode(c: &mut DbConn, user: UserId, kind: &str) -> QueryResult<Mode> {
    let stored: Option<String> = notification_settings::table
        .find((user, kind))
        .select(notification_settings::mode)
        .first(c)
        .optional()?;
    Ok(stored
        .as_deref()
        .and_then(Mode::parse)
        .unwrap_or(Mode::Immediately))
}

/// Every kind with the member's mode.
pub fn modes(c: &mut DbConn, user: UserId) -> QueryResult<Vec<(&'static str, Mode)>> {
    KINDS
        .iter()
        .map(|kind| Ok((*kind, mode(c, user, kind)?)))
        .collect()
}

pub fn set_mode(c: &mut DbConn, user: UserId, kind: &str, mode: Mode) -> QueryResult<()> {
    diesel::delete(notification_settings::table.find((user, kind))).execute(c)?;
    diesel::insert_into(notification_settings::table)
        .values((
            notification_settings::user_id.eq(user),
            notification_settings::kind.eq(kind),
            notification_settings::mode.eq(mode.as_str()),
        ))
        .execute(c)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = digest_items)]
pub struct DigestItem {
    pub id: DigestItemId,
    pub user_id: UserId,
    pub brand_id: BrandId,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub url: String,
    pub created_at: NaiveDateTime,
}

pub struct NewDigestItem<'a> {
    pub user: UserId,
    pub brand: BrandId,
    pub kind: &'a str,
    pub title: &'a str,
    pub detail: &'a str,
    pub url: &'a str,
}

pub fn add_to_digest(c: &mut DbConn, row: &NewDigestItem, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(digest_items::table)
        .values((
            digest_items::user_id.eq(row.user),
            digest_items::brand_id.eq(row.brand),
            digest_items::kind.eq(row.kind),
            digest_items::title.eq(row.title),
            digest_items::detail.eq(row.detail),
            digest_items::url.eq(row.url),
            digest_items::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

/// Members whose oldest waiting item is older than `before`: their digest is due.
pub fn due_digests(c: &mut DbConn, before: NaiveDateTime) -> QueryResult<Vec<UserId>> {
    digest_items::table
        .group_by(digest_items::user_id)
        .having(diesel::dsl::min(digest_items::created_at).le(before))
        .select(digest_items::user_id)
        .load(c)
}

/// Takes a member's waiting items (they are gone afterwards), oldest first.
pub fn take_digest(c: &mut DbConn, user: UserId) -> QueryResult<Vec<DigestItem>> {
    let items: Vec<DigestItem> = digest_items::table
        .filter(digest_items::user_id.eq(user))
        .order(digest_items::id)
        .limit(200)
        .select(DigestItem::as_select())
        .load(c)?;
    let ids: Vec<DigestItemId> = items.iter().map(|i| i.id).collect();
    diesel::delete(digest_items::table.filter(digest_items::id.eq_any(&ids))).execute(c)?;
    Ok(items)
}
