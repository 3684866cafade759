//! Escalations: staff and authors raise them, the brand's rules open them by themselves, the
//! right staff hear of them at once, and level 2 follows when nobody acknowledges in time.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;
use tera::Context;

use super::notify::{self, Notice};
use super::validate;
use super::workflow::topic_with_access;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};
use crate::mail::Composer;
use crate::markdown;
use crate::model::brand::{self, Brand};
use crate::model::escalation::{self, Escalation, EscalationView, NewEscalation, Rule, Settings};
use crate::model::event::{self, EventKind};
use crate::model::member::{self, Role};
use crate::model::topic::{self, Topic};
use crate::model::user::{self, User};
use crate::model::{EscalationId, TopicId, UserId, now};

pub const REASON_MIN: usize = 3;
pub const REASON_MAX: usize = 500;
/// How long a one-click acknowledge link works.
pub const LINK_LIFETIME: Duration = Duration::days(7);
/// How often a topic's author may ask the brand for help.
pub const HELP_EVERY: Duration = Duration::days(1);
pub const LIST_MAX: i64 = 200;
/// The largest threshold a rule takes: 30 days in minutes, or 100,000 me-toos.
pub const RULE_MINUTES_MAX: i32 = 30 * 24 * 60;
pub const ME_TOO_MAX: i32 = 100_000;

fn reason_of(text: &str) -> AppResult<String> {
    let mut errors = vec![];
    let reason = validate::plain_text("reason", text, REASON_MIN, REASON_MAX, &mut errors);
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Staff escalate a thread: level 1 to the brand's escalation recipients (and the
/// assignee), level 2 to its admins as well.
pub fn escalate(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    reason: &str,
    level: Option<i32>,
) -> AppResult<Escalation> {
    let (found, _) = topic_with_access(c, id, Some(me))?;
    authz::staff_of(c, found.brand_id, me)?;
    let reason = reason_of(reason)?;
    let level = level.unwrap_or(1);
    if !(1..=2).contains(&level) {
        return Err(AppError::invalid(
            "level",
            "level_invalid",
            "choose level 1 or 2",
        ));
    }
    let row = NewEscalation {
        topic: id,
        brand: found.brand_id,
        level,
        reason: &reason,
        source: "staff",
        rule: None,
        opened_by: Some(me.id),
    };
    db::write_transaction(c, |c| open(c, mail, &found, &row, Some(me)))?
        .ok_or(AppError::Conflict("already escalated"))
}

/// A topic's author asks a claimed brand for help, once a day per topic.
pub fn request_help(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    reason: &str,
) -> AppResult<Escalation> {
    authz::may_post(me)?;
    let (found, _) = topic_with_access(c, id, Some(me))?;
    if found.author_id != me.id {
        return Err(AppError::Forbidden);
    }
    if brand::find(c, found.brand_id)?.claimed_at.is_none() {
        return Err(AppError::Conflict(
            "this community has no official staff yet",
        ));
    }
    let reason = reason_of(reason)?;
    db::write_transaction(c, |c| {
        let at = now();
        if let Some(last) = escalation::last_request(c, id)? {
            let wait = (last + HELP_EVERY - at).num_seconds();
            if wait > 0 {
                return Err(AppError::RateLimited {
                    retry_after_secs: u64::try_from(wait).unwrap_or(1),
                });
            }
        }
        let row = NewEscalation {
            topic: id,
            brand: found.brand_id,
            level: 1,
            reason: &reason,
            source: "author",
            rule: None,
            opened_by: Some(me.id),
        };
        open(c, mail, &found, &row, Some(me))?.ok_or(AppError::Conflict("already escalated"))
    })
}

/// Opens an escalation, writes it to the timeline and tells who must hear; None when a
/// rule had already opened it.
pub(super) fn open(
    c: &mut DbConn,
    mail: &Composer,
    found: &Topic,
    row: &NewEscalation,
    opener: Option<&User>,
) -> AppResult<Option<Escalation>> {
    let at = now();
    let Some(id) = escalation::open(c, row, at)? else {
        return Ok(None);
    };
    let detail = json!({ "escalation_id": id, "level": row.level, "reason": row.reason,
                         "rule": row.rule.map(Rule::as_str) });
    event::insert(
        c,
        found.id,
        opener.map(|u| u.id),
        EventKind::Escalated,
        &detail,
        at,
    )?;
    let opened = escalation::find(c, id)?;
    let data = json!({ "escalation": { "id": id, "level": row.level, "reason": row.reason,
                       "source": row.source, "rule": row.rule.map(Rule::as_str) } });
    super::webhook::emit(c, found, "escalation.opened", data)?;
    let brand_row = brand::find(c, found.brand_id)?;
    for person in hearers(c, &brand_row, found, row.level)? {
        tell(c, mail, &brand_row, found, &opened, &person, opener)?;
    }
    Ok(Some(opened))
}

/// Who hears of an escalation: the brand's recipients (its admins when it chose none) and
/// the assignee; at level 2 the admins too.
fn hearers(c: &mut DbConn, brand_row: &Brand, found: &Topic, level: i32) -> AppResult<Vec<User>> {
    let staff = member::list(c, brand_row.id)?;
    let admins: Vec<UserId> = staff
        .iter()
        .filter(|s| s.role == Role::Admin.as_str())
        .map(|s| s.user_id)
        .collect();
    let mut ids: BTreeSet<UserId> = escalation::recipients(c, brand_row.id)?
        .into_iter()
        .collect();
    if ids.is_empty() || level >= 2 {
        ids.extend(admins);
    }
    if let Some(assignee) = found
        .assignee_id
        .filter(|a| staff.iter().any(|s| s.user_id == *a))
    {
        ids.insert(assignee);
    }
    ids.into_iter().map(|id| Ok(user::find(c, id)?)).collect()
}

/// The escalation mail to one person, with their own acknowledge link.
fn tell(
    c: &mut DbConn,
    mail: &Composer,
    brand_row: &Brand,
    found: &Topic,
    esc: &Escalation,
    to: &User,
    opener: Option<&User>,
) -> AppResult<()> {
    let lang = Lang::parse(&to.language).unwrap_or_default();
    let token = escalation::issue_link(c, esc.id, to.id, now() + LINK_LIFETIME)?;
    let url = mail.topic_link(&brand_row.slug, found.id, &found.title);
    let who = match (opener, esc.rule.as_deref()) {
        (Some(person), _) => person.display_name.clone(),
        (None, Some(rule)) => i18n::t(lang, &format!("escalation.rule.{rule}")).to_string(),
        (None, None) => String::new(),
    };
    let mut context = Context::new();
    context.insert("username", &to.display_name);
    context.insert("brand", &brand_row.name);
    context.insert("kind", &i18n::t(lang, &format!("kind.{}", found.kind)));
    context.insert("title", &found.title);
    context.insert("reason", &esc.reason);
    context.insert("who", &who);
    context.insert("level", &esc.level);
    context.insert("excerpt", &markdown::excerpt(&found.body, 500));
    context.insert("feeling", &found.feeling);
    context.insert("me_too_count", &found.me_too_count);
    let waited = (now() - found.created_at).num_minutes().max(0);
    context.insert("waited", &super::workflow::waiting_text(waited));
    context.insert("url", &url);
    context.insert(
        "ack_link",
        &format!("{}/escalations/acknowledge?token={token}", mail.base_url()),
    );
    if esc.rule.as_deref() == Some(Rule::Spike.as_str()) {
        let notice = format!(
            "{}/brands/{}/escalations#notice",
            mail.base_url(),
            brand_row.slug
        );
        context.insert("notice_link", &notice);
    }
    let notice = Notice {
        kind: "escalation",
        always: esc.level >= 2,
        template: "escalation",
        context,
        dedupe_key: format!("escalation:{}:{}:{}", esc.id, esc.level, to.id),
        topic: Some(found.id),
        title: &found.title,
        detail: format!("{} · {}", esc.reason, who),
        url: &url,
    };
    notify::staff_member(c, mail, to, brand_row, notice)
}

/// Staff acknowledge an escalation: they have it.
pub fn acknowledge(c: &mut DbConn, me: &User, id: EscalationId) -> AppResult<Escalation> {
    let found = escalation::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| acknowledge_as(c, &found, me.id))
}

/// The one-click link from the mail: the recipient it was made for acknowledges, if they
/// still work the brand.
pub fn acknowledge_by_link(c: &mut DbConn, token: &str) -> AppResult<Escalation> {
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
        let (id, user_id) = escalation::spend_link(c, token, now())?.ok_or_else(invalid)?;
        let found = escalation::find(c, id)?;
        if member::role_of(c, found.brand_id, user_id)?.is_none() {
            return Err(AppError::Forbidden);
        }
        acknowledge_as(c, &found, user_id)
    })
}

fn acknowledge_as(c: &mut DbConn, found: &Escalation, by: UserId) -> AppResult<Escalation> {
    let at = now();
    if escalation::acknowledge(c, found.id, by, at)? {
        let detail = json!({ "escalation_id": found.id });
        event::insert(
            c,
            found.topic_id,
            Some(by),
            EventKind::EscalationAcknowledged,
            &detail,
            at,
        )?;
        let by = super::webhook::person(&user::find(c, by)?);
        let data = json!({ "escalation": { "id": found.id, "level": found.level }, "by": by });
        let about = topic::find(c, found.topic_id)?;
        super::webhook::emit(c, &about, "escalation.acknowledged", data)?;
    }
    Ok(escalation::find(c, found.id)?)
}

/// Staff resolve an escalation by hand.
pub fn resolve(c: &mut DbConn, me: &User, id: EscalationId) -> AppResult<Escalation> {
    let found = escalation::find(c, id)?;
    authz::staff_of(c, found.brand_id, me)?;
    db::write_transaction(c, |c| {
        resolve_topic(c, found.topic_id, Some(id), Some(me.id))?;
        Ok(escalation::find(c, id)?)
    })
}

/// Resolves a topic's escalations (all, or one) and notes it in the timeline; the workflow
/// calls this when a topic reaches a final status.
pub fn resolve_topic(
    c: &mut DbConn,
    topic_id: TopicId,
    only: Option<EscalationId>,
    by: Option<UserId>,
) -> AppResult<()> {
    let at = now();
    for id in escalation::resolve(c, topic_id, only, by, at)? {
        let detail = json!({ "escalation_id": id });
        event::insert(c, topic_id, by, EventKind::EscalationResolved, &detail, at)?;
    }
    Ok(())
}

/// A brand's escalations in one state, for its staff.
pub fn list(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    state: &str,
) -> AppResult<(Brand, Vec<EscalationView>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    if !["open", "acknowledged", "resolved"].contains(&state) {
        return Err(AppError::invalid(
            "state",
            "state_invalid",
            "choose open, acknowledged or resolved",
        ));
    }
    Ok((
        found.clone(),
        escalation::of_brand(c, found.id, state, LIST_MAX)?,
    ))
}

/// A brand's rules and recipients, as brand admins set them.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct RulesInput {
    #[serde(default)]
    pub unanswered_minutes: Option<i32>,
    #[serde(default)]
    pub no_staff_reply_minutes: Option<i32>,
    #[serde(default)]
    pub me_too_threshold: Option<i32>,
    #[serde(default)]
    pub feeling_minutes: Option<i32>,
    #[serde(default)]
    pub acknowledge_minutes: Option<i32>,
    /// Incident mode: me-toos (0: off) within spike_minutes; None keeps the default.
    #[serde(default)]
    pub spike_me_toos: Option<i32>,
    #[serde(default)]
    pub spike_minutes: Option<i32>,
    #[serde(default)]
    pub recipients: Vec<UserId>,
}

pub fn rules(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, RulesInput)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let s = escalation::settings(c, found.id)?;
    let recipients = escalation::recipients(c, found.id)?;
    Ok((
        found,
        RulesInput {
            unanswered_minutes: s.unanswered_minutes,
            no_staff_reply_minutes: s.no_staff_reply_minutes,
            me_too_threshold: s.me_too_threshold,
            feeling_minutes: s.feeling_minutes,
            acknowledge_minutes: Some(s.acknowledge_minutes),
            spike_me_toos: Some(s.spike_me_toos),
            spike_minutes: Some(s.spike_minutes),
            recipients,
        },
    ))
}

pub fn set_rules(c: &mut DbConn, me: &User, slug: &str, input: &RulesInput) -> AppResult<()> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let mut errors = vec![];
    let mut check = |field: &'static str, value: Option<i32>, max: i32| {
        if value.is_some_and(|v| !(1..=max).contains(&v)) {
            errors.push(crate::error::FieldError::new(
                field,
                "out_of_range",
                format!("between 1 and {max}"),
            ));
        }
    };
    check(
        "unanswered_minutes",
        input.unanswered_minutes,
        RULE_MINUTES_MAX,
    );
    check(
        "no_staff_reply_minutes",
        input.no_staff_reply_minutes,
        RULE_MINUTES_MAX,
    );
    check("me_too_threshold", input.me_too_threshold, ME_TOO_MAX);
    check("feeling_minutes", input.feeling_minutes, RULE_MINUTES_MAX);
    check(
        "acknowledge_minutes",
        input.acknowledge_minutes,
        RULE_MINUTES_MAX,
    );
    check(
        "spike_minutes",
        input.spike_minutes,
        super::incident::SPIKE_MINUTES_MAX,
    );
    if input
        .spike_me_toos
        .is_some_and(|v| !(0..=ME_TOO_MAX).contains(&v))
    {
        errors.push(crate::error::FieldError::new(
            "spike_me_toos",
            "out_of_range",
            format!("between 0 (off) and {ME_TOO_MAX}"),
        ));
    }
    let staff = member::list(c, found.id)?;
    if input.recipients.len() > 100
        || input
            .recipients
            .iter()
            .any(|r| !staff.iter().any(|s| s.user_id == *r))
    {
        errors.push(crate::error::FieldError::new(
            "recipients",
            "not_staff",
            "recipients must be on this brand's staff",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = Settings {
        brand_id: found.id,
        unanswered_minutes: input.unanswered_minutes,
        no_staff_reply_minutes: input.no_staff_reply_minutes,
        me_too_threshold: input.me_too_threshold,
        feeling_minutes: input.feeling_minutes,
        acknowledge_minutes: input
            .acknowledge_minutes
            .unwrap_or(escalation::DEFAULT_ACKNOWLEDGE_MINUTES),
        spike_me_toos: input
            .spike_me_toos
            .unwrap_or(escalation::DEFAULT_SPIKE_ME_TOOS),
        spike_minutes: input
            .spike_minutes
            .unwrap_or(escalation::DEFAULT_SPIKE_MINUTES),
    };
    db::write_transaction(c, |c| {
        escalation::save_settings(c, &row)?;
        escalation::set_recipients(c, found.id, &input.recipients)?;
        Ok(())
    })
}

/// One pass of the rule checker: opens what the rules call for (each topic and rule once,
/// whichever node gets there first) and moves unacknowledged escalations to level 2.
/// Returns how many it opened and how many went to level 2.
pub fn check(c: &mut DbConn, mail: &Composer) -> AppResult<(usize, usize)> {
    let mut opened = 0;
    for settings in escalation::all_settings(c)? {
        let brand_row = brand::find(c, settings.brand_id)?;
        if brand_row.claimed_at.is_none() {
            continue;
        }
        for rule in Rule::ALL {
            for id in escalation::rule_candidates(c, &settings, rule, now(), 50)? {
                opened += usize::from(open_by_rule(c, mail, id, rule, &settings)?);
            }
        }
    }
    let mut raised = 0;
    for esc in escalation::due_for_level2(c, now(), 50)? {
        raised += usize::from(raise(c, mail, &esc)?);
    }
    Ok((opened, raised))
}

fn rule_reason(rule: Rule, s: &Settings) -> String {
    match rule {
        Rule::Unanswered => format!("unanswered for {} min", s.unanswered_minutes.unwrap_or(0)),
        Rule::NoStaffReply => format!(
            "no staff reply for {} min",
            s.no_staff_reply_minutes.unwrap_or(0)
        ),
        Rule::MeToo => format!("{}+ people have this too", s.me_too_threshold.unwrap_or(0)),
        Rule::Feeling => format!(
            "upset customer, no staff reply for {} min",
            s.feeling_minutes.unwrap_or(0)
        ),
        Rule::Spike => format!("a spike of me-toos within {} min", s.spike_minutes),
    }
}

fn open_by_rule(
    c: &mut DbConn,
    mail: &Composer,
    id: TopicId,
    rule: Rule,
    settings: &Settings,
) -> AppResult<bool> {
    let reason = rule_reason(rule, settings);
    db::write_transaction(c, |c| {
        let found = topic::find(c, id)?;
        let row = NewEscalation {
            topic: id,
            brand: found.brand_id,
            level: 1,
            reason: &reason,
            source: "rule",
            rule: Some(rule),
            opened_by: None,
        };
        Ok(open(c, mail, &found, &row, None)?.is_some())
    })
}

/// Moves an escalation nobody acknowledged in time to level 2: its admins hear of it.
fn raise(c: &mut DbConn, mail: &Composer, esc: &Escalation) -> AppResult<bool> {
    db::write_transaction(c, |c| {
        if !escalation::claim_level2(c, esc.id, now())? {
            return Ok(false);
        }
        let raised = escalation::find(c, esc.id)?;
        let found = topic::find(c, esc.topic_id)?;
        let brand_row = brand::find(c, found.brand_id)?;
        let detail = json!({ "escalation_id": esc.id, "level": 2, "reason": esc.reason });
        event::insert(c, found.id, None, EventKind::Escalated, &detail, now())?;
        let opener = match raised.opened_by {
            Some(id) => Some(user::find(c, id)?),
            None => None,
        };
        for person in hearers(c, &brand_row, &found, 2)? {
            tell(
                c,
                mail,
                &brand_row,
                &found,
                &raised,
                &person,
                opener.as_ref(),
            )?;
        }
        Ok(true)
    })
}

/// How long it took to acknowledge, in minutes, for the escalations page.
pub fn minutes_to_acknowledge(esc: &Escalation) -> Option<i64> {
    esc.acknowledged_at
        .map(|at: NaiveDateTime| (at - esc.opened_at).num_minutes())
}
