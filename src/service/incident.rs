//! Incident mode: when me-toos on a topic and its near-duplicates jump by the brand's
//! threshold within its window, one "spike" escalation opens and links them all; staff may
//! pin a status notice on the brand page; when the incident is resolved, everyone who
//! followed or said "me too" on any linked topic hears it once.

use std::collections::HashSet;

use chrono::Duration;
use tera::Context;

use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::{Composer, Mail};
use crate::model::brand::{self, Brand};
use crate::model::escalation::{self, NewEscalation, Rule, Settings};
use crate::model::incident::{self, Notice};
use crate::model::topic;
use crate::model::user::User;
use crate::model::{EscalationId, TopicId, now};
use crate::search::SearchIndex;

pub const NOTICE_MAX: usize = 500;
/// The longest spike window a brand may choose: one day, in minutes.
pub const SPIKE_MINUTES_MAX: i32 = 24 * 60;
/// How many of a brand's recently me-too'd topics one pass groups, and how many of them (the
/// most me-too'd, with two or more) it searches near-duplicates for.
const CANDIDATES_MAX: usize = 200;
const SEEDS_MAX: usize = 20;

/// One pass of incident mode; returns how many incidents it opened.
pub fn check(c: &mut DbConn, mail: &Composer, index: &SearchIndex) -> AppResult<usize> {
    let at = now();
    let horizon = at - Duration::minutes(i64::from(SPIKE_MINUTES_MAX));
    let mut opened = 0;
    for brand_id in incident::brands_with_me_toos(c, horizon)? {
        let settings = escalation::settings(c, brand_id)?;
        if settings.spike_me_toos <= 0 {
            continue;
        }
        let since = at - Duration::minutes(i64::from(settings.spike_minutes));
        let mut counts = incident::recent_me_toos(c, brand_id, since)?;
        counts.truncate(CANDIDATES_MAX);
        let threshold = i64::from(settings.spike_me_toos);
        if counts.iter().map(|(_, n)| n).sum::<i64>() < threshold {
            continue;
        }
        let brand_row = brand::find(c, brand_id)?;
        let ids: Vec<TopicId> = counts.iter().map(|(id, _)| *id).collect();
        let mut grouped: HashSet<TopicId> = HashSet::new();
        let seeds = counts.iter().filter(|(_, n)| *n >= 2.min(threshold));
        for (id, _) in seeds.take(SEEDS_MAX) {
            if grouped.contains(id) {
                continue;
            }
            let title = topic::find(c, *id)?.title;
            let group: Vec<TopicId> = super::search::near_duplicates(index, *id, &title, &ids)?
                .into_iter()
                .filter(|t| !grouped.contains(t))
                .collect();
            grouped.extend(&group);
            let sum: i64 = counts
                .iter()
                .filter(|(t, _)| group.contains(t))
                .map(|(_, n)| n)
                .sum();
            if sum >= threshold {
                opened += usize::from(open_spike(c, mail, &brand_row, &group, sum, &settings)?);
            }
        }
    }
    Ok(opened)
}

/// Opens the incident for a group of topics (the first has the most me-toos), or adds the
/// group's new topics to the open incident that already links one of them.
fn open_spike(
    c: &mut DbConn,
    mail: &Composer,
    brand_row: &Brand,
    group: &[TopicId],
    me_toos: i64,
    settings: &Settings,
) -> AppResult<bool> {
    db::write_transaction(c, |c| {
        if let Some(esc) = incident::open_spike_among(c, group)? {
            for id in group {
                incident::link(c, esc, *id)?;
            }
            return Ok(false);
        }
        let primary = topic::find(c, group[0])?;
        let reason = format!(
            "{me_toos} me-toos within {} min over {} topic(s)",
            settings.spike_minutes,
            group.len()
        );
        let row = NewEscalation {
            topic: primary.id,
            brand: brand_row.id,
            level: 1,
            reason: &reason,
            source: "rule",
            rule: Some(Rule::Spike),
            opened_by: None,
        };
        let Some(opened) = super::escalation::open(c, mail, &primary, &row, None)? else {
            return Ok(false);
        };
        for id in group {
            incident::link(c, opened.id, *id)?;
        }
        Ok(true)
    })
}

/// Tells the people of each newly resolved incident, once each; takes down its notice.
pub fn announce(c: &mut DbConn, mail: &Composer) -> AppResult<usize> {
    let mut told = 0;
    for esc in incident::to_announce(c, 20)? {
        told += db::write_transaction(c, |c| announce_one(c, mail, esc))?;
    }
    Ok(told)
}

fn announce_one(c: &mut DbConn, mail: &Composer, id: EscalationId) -> AppResult<usize> {
    if !incident::claim_announcement(c, id, now())? {
        return Ok(0);
    }
    incident::unpin_for(c, id)?;
    let esc = escalation::find(c, id)?;
    let primary = topic::find(c, esc.topic_id)?;
    let brand_row = brand::find(c, esc.brand_id)?;
    let url = mail.topic_link(&brand_row.slug, primary.id, &primary.title);
    let linked = incident::linked(c, id)?;
    let titles: Vec<&str> = linked.iter().map(|t| t.title.as_str()).collect();
    let people = incident::affected(c, id)?;
    for (user_id, email, language, name) in &people {
        let unsubscribe = mail.unsubscribe_link(*user_id, primary.id);
        let mut context = Context::new();
        context.insert("username", name);
        context.insert("brand", &brand_row.name);
        context.insert("title", &primary.title);
        context.insert("titles", &titles);
        context.insert("url", &url);
        context.insert("unsubscribe", &unsubscribe);
        mail.enqueue(
            c,
            Mail {
                to: email,
                lang: Lang::parse(language).unwrap_or_default(),
                template: "incident_resolved",
                context,
                dedupe_key: format!("incident:{id}:{user_id}"),
                unsubscribe: Some(unsubscribe),
                reply_to: None,
            },
        )?;
    }
    Ok(people.len())
}

/// The notice staff suggest for an incident: the problem and since when.
pub fn suggested_notice(title: &str, since: chrono::NaiveDateTime) -> String {
    format!(
        "We know about \"{title}\" since {} UTC and we are on it.",
        since.format("%Y-%m-%d %H:%M")
    )
}

/// Staff pin a status notice on their brand's page (replacing any), maybe for an incident.
pub fn pin(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    body: &str,
    esc: Option<EscalationId>,
) -> AppResult<Notice> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let mut errors = vec![];
    let body = validate::plain_text("body", body, 1, NOTICE_MAX, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if let Some(id) = esc
        && escalation::find(c, id)
            .ok()
            .is_none_or(|e| e.brand_id != found.id)
    {
        return Err(AppError::invalid(
            "escalation_id",
            "escalation_invalid",
            "is not an escalation of this brand",
        ));
    }
    db::write_transaction(c, |c| {
        incident::pin(c, found.id, &body, esc, me.id, now())?;
        incident::notice(c, found.id)?.ok_or(AppError::NotFound)
    })
}

pub fn unpin(c: &mut DbConn, me: &User, slug: &str) -> AppResult<()> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    db::write_transaction(c, |c| incident::unpin(c, found.id))?;
    Ok(())
}
