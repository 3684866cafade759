//! Keyword monitors: a brand's staff save searches over every community ("active support":
//! go to the customer's voice) and hear of new matches; matching runs after each index
//! commit, against the newly indexed topics only.

use tera::Context;

use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::{Composer, Mail};
use crate::markdown;
use crate::model::brand::{self, Brand};
use crate::model::monitor::{self, MatchView, Monitor};
use crate::model::notification::{self, NewDigestItem};
use crate::model::user::{self, User};
use crate::model::{MonitorId, TopicId, member, now, topic};
use crate::search::SearchIndex;
use crate::search::query::{self, Match};

pub const QUERY_MAX: usize = 200;
pub const PER_BRAND: i64 = 50;
pub const NOTIFY: [&str; 3] = ["email", "digest", "none"];

pub fn create(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    text: &str,
    notify: &str,
) -> AppResult<Monitor> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let mut errors = vec![];
    let text = super::validate::plain_text("query", text, 1, QUERY_MAX, &mut errors);
    if query::parse(&text).must.is_empty() && errors.is_empty() {
        errors.push(crate::error::FieldError::new(
            "query",
            "required",
            "give at least one word to look for",
        ));
    }
    if !NOTIFY.contains(&notify) {
        errors.push(crate::error::FieldError::new(
            "notify",
            "mode_invalid",
            "email, digest or none",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        if monitor::count_of_brand(c, found.id)? >= PER_BRAND {
            return Err(AppError::Conflict(
                "this brand has as many monitors as it may",
            ));
        }
        let id = monitor::insert(c, found.id, me.id, &text, notify, now())?;
        Ok(monitor::find(c, id)?)
    })
}

pub fn list(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<Monitor>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let rows = monitor::of_brand(c, found.id)?;
    Ok((found, rows))
}

pub fn delete(c: &mut DbConn, me: &User, id: MonitorId) -> AppResult<()> {
    let found = monitor::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| Ok(monitor::delete(c, id).map(drop)?))
}

pub fn matches(
    c: &mut DbConn,
    me: &User,
    id: MonitorId,
) -> AppResult<(Brand, Monitor, Vec<MatchView>)> {
    let found = monitor::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    let rows = monitor::matches(c, id, 200)?;
    Ok((brand::find(c, found.brand_id)?, found, rows))
}

/// Runs every monitor over topics just indexed. Only reads: the indexer, which calls it, runs
/// at a low priority and must not hold the write lock while others wait for its CPU time.
pub fn matches_among(
    c: &mut DbConn,
    index: &SearchIndex,
    ids: &[TopicId],
) -> AppResult<Vec<(Monitor, TopicId)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut found = vec![];
    for m in monitor::all(c)? {
        let parsed = query::parse(&m.query);
        let q = query::build(&parsed, index.field_set(), Match::All);
        for id in index.matching_among(q.query.as_ref(), ids)? {
            found.push((m.clone(), id));
        }
    }
    Ok(found)
}

/// Records the `matches` a commit found and tells each monitor's owner; returns how many were
/// new. Each match is recorded once (whichever node gets there first tells).
pub fn record_matches(
    c: &mut DbConn,
    mail: &Composer,
    matches: &[(Monitor, TopicId)],
) -> AppResult<usize> {
    let mut told = 0;
    for (m, id) in matches {
        told += usize::from(db::write_transaction(c, |c| record(c, mail, m, *id))?);
    }
    Ok(told)
}

fn record(c: &mut DbConn, mail: &Composer, m: &Monitor, id: TopicId) -> AppResult<bool> {
    let found = topic::find(c, id)?;
    // a monitor hears of activity after it was made, also when a fresh index replays the log
    if found.last_activity_at < m.created_at || !monitor::add_match(c, m.id, id, now())? {
        return Ok(false);
    }
    if m.notify == "none" || member::role_of(c, m.brand_id, m.created_by)?.is_none() {
        return Ok(true);
    }
    let (owner, own_brand) = (user::find(c, m.created_by)?, brand::find(c, m.brand_id)?);
    let topic_brand = brand::find(c, found.brand_id)?;
    let url = mail.topic_link(&topic_brand.slug, found.id, &found.title);
    if m.notify == "digest" {
        let item = NewDigestItem {
            user: owner.id,
            brand: own_brand.id,
            kind: "monitor",
            title: &found.title,
            detail: &format!("“{}” · {}", m.query, topic_brand.name),
            url: &url,
        };
        notification::add_to_digest(c, &item, now())?;
        return Ok(true);
    }
    let mut context = Context::new();
    context.insert("username", &owner.display_name);
    context.insert("query", &m.query);
    context.insert("title", &found.title);
    context.insert("brand", &topic_brand.name);
    context.insert("excerpt", &markdown::excerpt(&found.body, 400));
    context.insert("url", &url);
    mail.enqueue_for_staff(
        c,
        Mail {
            to: &owner.email,
            lang: Lang::parse(&owner.language).unwrap_or_default(),
            template: "monitor_match",
            context,
            dedupe_key: format!("monitor:{}:{id}", m.id),
            unsubscribe: None,
            reply_to: None,
        },
        m.brand_id,
        owner.id,
    )?;
    Ok(true)
}
