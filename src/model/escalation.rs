//! Escalations: a thread that needs the company, at level 1 (the brand's escalation
//! recipients) or level 2 (its admins); the brand's rules; one-click acknowledge links.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, EscalationId, TopicId, UserId};
use crate::db::DbConn;
use crate::db::schema::{
    escalation_links, escalation_recipients, escalation_settings, escalations, topics, users,
};
use crate::secret;

/// The rules that open escalations by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Unanswered,
    NoStaffReply,
    MeToo,
    Feeling,
    /// Incident mode: me-toos over a topic and its near-duplicates jumped.
    Spike,
}

impl Rule {
    /// The rules the checker tests topic by topic; spikes are found over groups of topics.
    pub const ALL: [Rule; 4] = [
        Rule::Unanswered,
        Rule::NoStaffReply,
        Rule::MeToo,
        Rule::Feeling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Unanswered => "unanswered",
            Rule::NoStaffReply => "no_staff_reply",
            Rule::MeToo => "me_too",
            Rule::Feeling => "feeling",
            Rule::Spike => "spike",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = escalations)]
pub struct Escalation {
    pub id: EscalationId,
    pub topic_id: TopicId,
    pub brand_id: BrandId,
    pub level: i32,
    pub reason: String,
    pub source: String,
    pub rule: Option<String>,
    pub opened_by: Option<UserId>,
    pub state: String,
    pub opened_at: NaiveDateTime,
    pub acknowledged_by: Option<UserId>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub resolved_by: Option<UserId>,
    pub resolved_at: Option<NaiveDateTime>,
    pub level2_at: Option<NaiveDateTime>,
}

/// An escalation with its topic, as the brand's escalations page lists it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct EscalationView {
    pub escalation: Escalation,
    pub topic_title: String,
    pub topic_kind: String,
}

/// A brand's rules (None: the rule is off) and its acknowledge target.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = escalation_settings)]
pub struct Settings {
    #[serde(skip)]
    pub brand_id: BrandId,
    pub unanswered_minutes: Option<i32>,
    pub no_staff_reply_minutes: Option<i32>,
    pub me_too_threshold: Option<i32>,
    pub feeling_minutes: Option<i32>,
    pub acknowledge_minutes: i32,
    /// Incident mode: this many me-toos (0: off) within spike_minutes over a topic and
    /// its near-duplicates open a "spike" escalation.
    pub spike_me_toos: i32,
    pub spike_minutes: i32,
}

pub const DEFAULT_ACKNOWLEDGE_MINUTES: i32 = 60;
pub const DEFAULT_SPIKE_ME_TOOS: i32 = 10;
pub const DEFAULT_SPIKE_MINUTES: i32 = 60;

pub struct NewEscalation<'a> {
    pub topic: TopicId,
    pub brand: BrandId,
    pub level: i32,
    pub reason: &'a str,
    pub source: &'a str,
    pub rule: Option<Rule>,
    pub opened_by: Option<UserId>,
}

/// Opens an escalation; one a rule opens is refused (None) when that rule already opened
/// one on the topic, which keeps concurrent checkers from opening it twice.
pub fn open(
    c: &mut DbConn,
    row: &NewEscalation,
    at: NaiveDateTime,
) -> QueryResult<Option<EscalationId>> {
    let values = (
        escalations::topic_id.eq(row.topic),
        escalations::brand_id.eq(row.brand),
        escalations::level.eq(row.level),
        escalations::reason.eq(row.reason),
        escalations::source.eq(row.source),
        escalations::rule.eq(row.rule.map(Rule::as_str)),
        escalations::opened_by.eq(row.opened_by),
        escalations::state.eq("open"),
        escalations::opened_at.eq(at),
    );
    let inserted = match c {
        DbConn::Postgres(pg) => diesel::insert_into(escalations::table)
            .values(values)
            .on_conflict_do_nothing()
            .returning(escalations::id)
            .get_result::<EscalationId>(pg)
            .optional()?,
        DbConn::Sqlite(s) => diesel::insert_into(escalations::table)
            .values(values)
            .on_conflict_do_nothing()
            .returning(escalations::id)
            .get_result::<EscalationId>(s)
            .optional()?,
    };
    if inserted.is_some() {
        diesel::update(topics::table.find(row.topic))
            .set(topics::open_escalations.eq(topics::open_escalations + 1))
            .execute(c)?;
    }
    Ok(inserted)
}

pub fn find(c: &mut DbConn, id: EscalationId) -> QueryResult<Escalation> {
    escalations::table
        .find(id)
        .select(Escalation::as_select())
        .first(c)
}

pub fn of_topic(c: &mut DbConn, topic: TopicId) -> QueryResult<Vec<Escalation>> {
    escalations::table
        .filter(escalations::topic_id.eq(topic))
        .order(escalations::id)
        .select(Escalation::as_select())
        .load(c)
}

/// A brand's escalations in one state, newest first.
pub fn of_brand(
    c: &mut DbConn,
    brand: BrandId,
    state: &str,
    limit: i64,
) -> QueryResult<Vec<EscalationView>> {
    escalations::table
        .inner_join(topics::table)
        .filter(escalations::brand_id.eq(brand))
        .filter(escalations::state.eq(state))
        .order(escalations::id.desc())
        .limit(limit)
        .select((Escalation::as_select(), topics::title, topics::kind))
        .load(c)
}

/// When the author last asked for help on this topic.
pub fn last_request(c: &mut DbConn, topic: TopicId) -> QueryResult<Option<NaiveDateTime>> {
    escalations::table
        .filter(escalations::topic_id.eq(topic))
        .filter(escalations::source.eq("author"))
        .select(diesel::dsl::max(escalations::opened_at))
        .first(c)
}

/// Marks an open escalation acknowledged; false when it was not open.
pub fn acknowledge(
    c: &mut DbConn,
    id: EscalationId,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        escalations::table
            .find(id)
            .filter(escalations::state.eq("open")),
    )
    .set((
        escalations::state.eq("acknowledged"),
        escalations::acknowledged_by.eq(by),
        escalations::acknowledged_at.eq(at),
    ))
    .execute(c)?;
    Ok(changed == 1)
}

/// Resolves the escalations of a topic that are not yet resolved (all, or just `only`);
/// returns their ids.
pub fn resolve(
    c: &mut DbConn,
    topic: TopicId,
    only: Option<EscalationId>,
    by: Option<UserId>,
    at: NaiveDateTime,
) -> QueryResult<Vec<EscalationId>> {
    let mut query = escalations::table
        .filter(escalations::topic_id.eq(topic))
        .filter(escalations::state.ne("resolved"))
        .select(escalations::id)
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(escalations::id.eq(id));
    }
    let ids: Vec<EscalationId> = query.load(c)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    diesel::update(escalations::table.filter(escalations::id.eq_any(&ids)))
        .set((
            escalations::state.eq("resolved"),
            escalations::resolved_by.eq(by),
            escalations::resolved_at.eq(at),
        ))
        .execute(c)?;
    let left: i64 = escalations::table
        .filter(escalations::topic_id.eq(topic))
        .filter(escalations::state.ne("resolved"))
        .count()
        .get_result(c)?;
    diesel::update(topics::table.find(topic))
        .set(topics::open_escalations.eq(i32::try_from(left).unwrap_or(0)))
        .execute(c)?;
    Ok(ids)
}

/// Open escalations past the acknowledge line that have not gone to level 2 yet.
pub fn due_for_level2(
    c: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Escalation>> {
    let rows: Vec<(Escalation, Option<i32>)> = escalations::table
        .left_join(
            escalation_settings::table.on(escalation_settings::brand_id.eq(escalations::brand_id)),
        )
        .filter(escalations::state.eq("open"))
        .filter(escalations::level2_at.is_null())
        .order(escalations::id)
        .limit(limit * 4)
        .select((
            Escalation::as_select(),
            escalation_settings::acknowledge_minutes.nullable(),
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter(|(e, minutes)| {
            let minutes = minutes.unwrap_or(DEFAULT_ACKNOWLEDGE_MINUTES);
            e.opened_at + chrono::Duration::minutes(i64::from(minutes)) <= now
        })
        .map(|(e, _)| e)
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// Claims an escalation's move to level 2; only one caller (one node) gets true.
pub fn claim_level2(c: &mut DbConn, id: EscalationId, at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        escalations::table
            .find(id)
            .filter(escalations::level2_at.is_null()),
    )
    .set((escalations::level2_at.eq(at), escalations::level.eq(2)))
    .execute(c)?;
    Ok(changed == 1)
}

pub fn settings(c: &mut DbConn, brand: BrandId) -> QueryResult<Settings> {
    Ok(escalation_settings::table
        .find(brand)
        .select(Settings::as_select())
        .first(c)
        .optional()?
        .unwrap_or(Settings {
            brand_id: brand,
            unanswered_minutes: None,
            no_staff_reply_minutes: None,
            me_too_threshold: None,
            feeling_minutes: None,
            acknowledge_minutes: DEFAULT_ACKNOWLEDGE_MINUTES,
            spike_me_toos: DEFAULT_SPIKE_ME_TOOS,
            spike_minutes: DEFAULT_SPIKE_MINUTES,
        }))
}

/// Every brand that has rules, for the checker.
pub fn all_settings(c: &mut DbConn) -> QueryResult<Vec<Settings>> {
    escalation_settings::table
        .select(Settings::as_select())
        .load(c)
}

pub fn save_settings(c: &mut DbConn, row: &Settings) -> QueryResult<()> {
    diesel::delete(escalation_settings::table.find(row.brand_id)).execute(c)?;
    diesel::insert_into(escalation_settings::table)
        .values((
            escalation_settings::brand_id.eq(row.brand_id),
            escalation_settings::unanswered_minutes.eq(row.unanswered_minutes),
            escalation_settings::no_staff_reply_minutes.eq(row.no_staff_reply_minutes),
            escalation_settings::me_too_threshold.eq(row.me_too_threshold),
            escalation_settings::feeling_minutes.eq(row.feeling_minutes),
            escalation_settings::acknowledge_minutes.eq(row.acknowledge_minutes),
            escalation_settings::spike_me_toos.eq(row.spike_me_toos),
            escalation_settings::spike_minutes.eq(row.spike_minutes),
        ))
        .execute(c)?;
    Ok(())
}

/// The brand's chosen escalation recipients who still work the brand.
pub fn recipients(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<UserId>> {
    use crate::db::schema::brand_members;
    escalation_recipients::table
        .inner_join(
            brand_members::table.on(brand_members::user_id
                .eq(escalation_recipients::user_id)
                .and(brand_members::brand_id.eq(escalation_recipients::brand_id))),
        )
        .filter(escalation_recipients::brand_id.eq(brand))
        .select(escalation_recipients::user_id)
        .load(c)
}

pub fn set_recipients(c: &mut DbConn, brand: BrandId, who: &[UserId]) -> QueryResult<()> {
    diesel::delete(escalation_recipients::table.filter(escalation_recipients::brand_id.eq(brand)))
        .execute(c)?;
    for user in who {
        diesel::insert_into(escalation_recipients::table)
            .values((
                escalation_recipients::brand_id.eq(brand),
                escalation_recipients::user_id.eq(user),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// Issues a one-click acknowledge link's secret for one recipient.
pub fn issue_link(
    c: &mut DbConn,
    id: EscalationId,
    user: UserId,
    expires_at: NaiveDateTime,
) -> QueryResult<String> {
    let token = secret::random_token();
    diesel::insert_into(escalation_links::table)
        .values((
            escalation_links::token_hash.eq(secret::token_hash(&token)),
            escalation_links::escalation_id.eq(id),
            escalation_links::user_id.eq(user),
            escalation_links::expires_at.eq(expires_at),
        ))
        .execute(c)?;
    Ok(token)
}

/// Spends a link: the escalation and recipient it names, if live; it never works twice.
pub fn spend_link(
    c: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(EscalationId, UserId)>> {
    let hash = secret::token_hash(token);
    let found = escalation_links::table
        .find(&hash)
        .filter(escalation_links::expires_at.gt(now))
        .select((escalation_links::escalation_id, escalation_links::user_id))
        .first(c)
        .optional()?;
    let deleted = diesel::delete(escalation_links::table.find(&hash)).execute(c)?;
    Ok(found.filter(|_| deleted == 1))
}

/// Display names by id, for pages that show who opened or acknowledged.
pub fn names(c: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<(UserId, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load(c)
}

/// How far back a rule looks: topics older than this never escalate by a rule, so a rule
/// switched on does not flood the staff with last year's threads.
pub const RULE_HORIZON_DAYS: i64 = 30;

/// Topics of a brand that `rule` should escalate now: visible, unresolved, past the rule's
/// line and not yet escalated by it. None when the rule is off.
pub fn rule_candidates(
    c: &mut DbConn,
    settings: &Settings,
    rule: Rule,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<TopicId>> {
    let minutes_ago = |m: i32| now - chrono::Duration::minutes(i64::from(m));
    let mut query = topics::table
        .filter(topics::brand_id.eq(settings.brand_id))
        .filter(topics::hidden.eq(false))
        .filter(topics::resolved_at.is_null())
        .filter(topics::created_at.gt(now - chrono::Duration::days(RULE_HORIZON_DAYS)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            escalations::table
                .filter(escalations::topic_id.eq(topics::id))
                .filter(escalations::rule.eq(rule.as_str())),
        )))
        .select(topics::id)
        .into_boxed::<crate::db::MultiBackend>();
    query = match rule {
        Rule::Unanswered => {
            let Some(m) = settings.unanswered_minutes else {
                return Ok(vec![]);
            };
            query
                .filter(topics::reply_count.eq(0))
                .filter(topics::created_at.le(minutes_ago(m)))
        }
        Rule::NoStaffReply => {
            let Some(m) = settings.no_staff_reply_minutes else {
                return Ok(vec![]);
            };
            query
                .filter(topics::kind.eq("problem"))
                .filter(topics::first_staff_response_at.is_null())
                .filter(topics::created_at.le(minutes_ago(m)))
        }
        Rule::MeToo => {
            let Some(k) = settings.me_too_threshold else {
                return Ok(vec![]);
            };
            query.filter(topics::me_too_count.ge(k))
        }
        Rule::Feeling => {
            let Some(m) = settings.feeling_minutes else {
                return Ok(vec![]);
            };
            query
                .filter(topics::feeling.eq_any(["angry", "frustrated"]))
                .filter(topics::first_staff_response_at.is_null())
                .filter(topics::created_at.le(minutes_ago(m)))
        }
        Rule::Spike => return Ok(vec![]),
    };
    query.order(topics::id).limit(limit).load(c)
}
