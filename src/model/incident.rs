//! Incidents: a "spike" escalation links the near-duplicate topics whose me-toos jumped
//! together, and a brand may pin one status notice on its page while it works on one.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, EscalationId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{
    brand_notices, brands, escalation_topics, escalations, me_toos, topic_follows, topics, users,
};

/// Claimed brands whose topics got a me-too since `since`.
pub fn brands_with_me_toos(c: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<BrandId>> {
    me_toos::table
        .inner_join(topics::table.on(topics::id.eq(me_toos::topic_id)))
        .inner_join(brands::table.on(brands::id.eq(topics::brand_id)))
        .filter(me_toos::created_at.gt(since))
        .filter(brands::claimed_at.is_not_null())
        .select(topics::brand_id)
        .distinct()
        .load(c)
}

/// A brand's visible topics with their me-toos since `since`, most first.
pub fn recent_me_toos(
    c: &mut DbConn,
    brand: BrandId,
    since: NaiveDateTime,
) -> QueryResult<Vec<(TopicId, i64)>> {
    let mut rows: Vec<(TopicId, i64)> = me_toos::table
        .inner_join(topics::table.on(topics::id.eq(me_toos::topic_id)))
        .filter(me_toos::created_at.gt(since))
        .filter(topics::brand_id.eq(brand))
        .filter(topics::hidden.eq(false))
        .group_by(me_toos::topic_id)
        .select((me_toos::topic_id, diesel::dsl::count_star()))
        .load(c)?;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(rows)
}

/// The unresolved spike escalation that already links one of these topics, if any.
pub fn open_spike_among(c: &mut DbConn, among: &[TopicId]) -> QueryResult<Option<EscalationId>> {
    escalation_topics::table
        .inner_join(escalations::table.on(escalations::id.eq(escalation_topics::escalation_id)))
        .filter(escalation_topics::topic_id.eq_any(among))
        .filter(escalations::rule.eq("spike"))
        .filter(escalations::state.ne("resolved"))
        .select(escalations::id)
        .order(escalations::id)
        .first(c)
        .optional()
}

/// Links a topic to an incident; true when it was not linked yet.
pub fn link(c: &mut DbConn, esc: EscalationId, topic: TopicId) -> QueryResult<bool> {
    let linked: bool = diesel::select(diesel::dsl::exists(
        escalation_topics::table
            .filter(escalation_topics::escalation_id.eq(esc))
            .filter(escalation_topics::topic_id.eq(topic)),
    ))
    .get_result(c)?;
    if !linked {
        diesel::insert_into(escalation_topics::table)
            .values((
                escalation_topics::escalation_id.eq(esc),
                escalation_topics::topic_id.eq(topic),
            ))
            .execute(c)?;
    }
    Ok(!linked)
}

/// A topic linked to an incident, as its pages list them.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct LinkedTopic {
    pub id: TopicId,
    pub title: String,
    pub me_too_count: i32,
}

pub fn linked(c: &mut DbConn, esc: EscalationId) -> QueryResult<Vec<LinkedTopic>> {
    escalation_topics::table
        .inner_join(topics::table.on(topics::id.eq(escalation_topics::topic_id)))
        .filter(escalation_topics::escalation_id.eq(esc))
        .order(topics::id)
        .select((topics::id, topics::title, topics::me_too_count))
        .load(c)
}

/// Everyone who follows or said "me too" on any topic of the incident, once each, with
/// their address, language and name (verified, not banned).
pub fn affected(
    c: &mut DbConn,
    esc: EscalationId,
) -> QueryResult<Vec<(UserId, String, String, String)>> {
    let linked = escalation_topics::table
        .filter(escalation_topics::escalation_id.eq(esc))
        .select(escalation_topics::topic_id);
    let followers = topic_follows::table
        .filter(topic_follows::topic_id.eq_any(linked))
        .select(topic_follows::user_id);
    let linked = escalation_topics::table
        .filter(escalation_topics::escalation_id.eq(esc))
        .select(escalation_topics::topic_id);
    let me_too_ers = me_toos::table
        .filter(me_toos::topic_id.eq_any(linked))
        .select(me_toos::user_id);
    users::table
        .filter(users::id.eq_any(followers).or(users::id.eq_any(me_too_ers)))
        .filter(users::email_verified.eq(true))
        .filter(users::banned_at.is_null())
        .order(users::id)
        .select((
            users::id,
            users::email,
            users::language,
            users::display_name,
        ))
        .load(c)
}

/// The status notice pinned on a brand's page.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = brand_notices)]
pub struct Notice {
    #[serde(skip)]
    pub brand_id: BrandId,
    pub body: String,
    pub escalation_id: Option<EscalationId>,
    #[serde(serialize_with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

pub fn notice(c: &mut DbConn, brand: BrandId) -> QueryResult<Option<Notice>> {
    brand_notices::table
        .find(brand)
        .select(Notice::as_select())
        .first(c)
        .optional()
}

pub fn pin(
    c: &mut DbConn,
    brand: BrandId,
    body: &str,
    esc: Option<EscalationId>,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    unpin(c, brand)?;
    diesel::insert_into(brand_notices::table)
        .values((
            brand_notices::brand_id.eq(brand),
            brand_notices::body.eq(body),
            brand_notices::escalation_id.eq(esc),
            brand_notices::created_by.eq(by),
            brand_notices::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn unpin(c: &mut DbConn, brand: BrandId) -> QueryResult<usize> {
    diesel::delete(brand_notices::table.find(brand)).execute(c)
}

/// Takes down the notice pinned for an incident, when it is resolved.
pub fn unpin_for(c: &mut DbConn, esc: EscalationId) -> QueryResult<usize> {
    diesel::delete(brand_notices::table.filter(brand_notices::escalation_id.eq(esc))).execute(c)
}

/// Resolved incidents whose people have not been told yet.
pub fn to_announce(c: &mut DbConn, limit: i64) -> QueryResult<Vec<EscalationId>> {
    escalations::table
        .filter(escalations::rule.eq("spike"))
        .filter(escalations::state.eq("resolved"))
        .filter(escalations::announced_at.is_null())
        .order(escalations::id)
        .limit(limit)
        .select(escalations::id)
        .load(c)
}

/// Claims the announcement of a resolved incident; false when another pass has it.
pub fn claim_announcement(
    c: &mut DbConn,
    esc: EscalationId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let claimed = diesel::update(
        escalations::table
            .find(esc)
            .filter(escalations::announced_at.is_null()),
    )
    .set(escalations::announced_at.eq(at))
    .execute(c)?;
    Ok(claimed == 1)
}
