//! The staff workflow: the queue, taking and assigning threads, statuses that close the loop
//! with the customers who asked, internal notes with @mentions, and the timeline.

use std::collections::HashMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tera::Context;

use super::notify::{self, Notice};
use super::{validate, webhook};
use crate::authz::{self, Access};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};
use crate::mail::reply_address::Purpose;
use crate::mail::{Composer, Mail};
use crate::markdown;
use crate::model::brand::{self, Brand};
use crate::model::event::{self, EventKind, EventView};
use crate::model::member::{self, StaffView};
use crate::model::note::{self, NoteView};
use crate::model::topic::{self, QueueItem, QueueQuery, QueueView, Topic};
use crate::model::topic_status::{Kind, Status};
use crate::model::user::{self, User};
use crate::model::{TopicId, UserId, follow, now};

pub const NOTE_MAX: usize = 10_000;
pub const STATUS_NOTE_MAX: usize = 2_000;
pub const BULK_MAX: usize = 100;
pub const TIMELINE_MAX: i64 = 500;

/// A topic and what the caller may do in its brand; 404 for topics the caller may not see.
pub fn topic_with_access(
    c: &mut DbConn,
    id: TopicId,
    viewer: Option<&User>,
) -> AppResult<(Topic, Access)> {
    let found = topic::find(c, id)?;
    let access = authz::access(c, found.brand_id, viewer)?;
    if found.hidden && !access.staff() {
        return Err(AppError::NotFound);
    }
    Ok((found, access))
}

/// A topic the caller works as the brand's staff; 404 if unseen, 403 if not staff.
fn staff_topic(c: &mut DbConn, id: TopicId, me: &User) -> AppResult<(Topic, Access)> {
    let (found, _) = topic_with_access(c, id, Some(me))?;
    let access = authz::staff_of(c, found.brand_id, me)?;
    Ok((found, access))
}

/// A queue row with how long the customer has waited, who has it, and why it ranks where
/// it does.
#[derive(Debug, Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub item: QueueItem,
    pub waiting_minutes: i64,
    pub assignee: Option<StaffView>,
    pub overdue: bool,
    /// What the priority weighed, in words: "waiting 3h past target · 14 me-too · angry".
    pub priority_reasons: Vec<String>,
}

/// The first-response target the priority weighs waiting against when a brand has none.
const DEFAULT_TARGET_MINUTES: i64 = 24 * 60;

/// Why a thread ranks where it does, in the viewer's language.
fn priority_reasons(lang: Lang, item: &QueueItem, waited: i64, target: Option<i64>) -> Vec<String> {
    let mut reasons = vec![];
    if item.first_staff_response_at.is_none() {
        let text = match target {
            Some(t) if waited > t => i18n::t_with(
                lang,
                "priority.past_target",
                &[("time", &waiting_text(waited - t))],
            ),
            _ => i18n::t_with(lang, "priority.waiting", &[("time", &waiting_text(waited))]),
        };
        reasons.push(text);
    }
    if item.me_too_count > 0 {
        let count = item.me_too_count.to_string();
        reasons.push(i18n::t_with(lang, "priority.me_too", &[("count", &count)]));
    }
    if item.me_toos_today > 0 {
        let count = item.me_toos_today.to_string();
        reasons.push(i18n::t_with(lang, "priority.today", &[("count", &count)]));
    }
    if let Some(feeling) = item
        .feeling
        .as_deref()
        .filter(|f| *f == "angry" || *f == "frustrated")
    {
        reasons.push(i18n::t(lang, &format!("feeling.{feeling}")).to_string());
    }
    reasons
}

pub struct QueuePage {
    pub brand: Brand,
    pub rows: Vec<QueueRow>,
    pub total: i64,
    pub staff: Vec<StaffView>,
}

/// How the queue is ordered: by triage priority (the default) or longest waiting first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    Priority,
    Waiting,
}

impl QueueOrder {
    pub fn parse(text: &str) -> Option<QueueOrder> {
        match text {
            "" | "priority" => Some(QueueOrder::Priority),
            "waiting" => Some(QueueOrder::Waiting),
            _ => None,
        }
    }
}

pub fn queue(
    c: &mut DbConn,
    me: &User,
    slug: &str,
    (view, order): (QueueView, QueueOrder),
    limit: i64,
    offset: i64,
) -> AppResult<QueuePage> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let at = now();
    let overdue_before = found
        .first_response_minutes
        .map(|m| at - Duration::minutes(i64::from(m)));
    let target = found.first_response_minutes.map(i64::from);
    let query = QueueQuery {
        brand: found.id,
        view,
        me: me.id,
        overdue_before,
        by_priority: order == QueueOrder::Priority,
        now: at,
        target_secs: (target.unwrap_or(DEFAULT_TARGET_MINUTES) * 60) as f64,
    };
    let lang = Lang::parse(&me.language).unwrap_or_default();
    let (items, total) = topic::queue(c, &query, limit, offset)?;
    let staff = member::list(c, found.id)?;
    let by_id: HashMap<UserId, &StaffView> = staff.iter().map(|s| (s.user_id, s)).collect();
    let rows = items
        .into_iter()
        .map(|item| QueueRow {
            priority_reasons: priority_reasons(
                lang,
                &item,
                (at - item.created_at).num_minutes().max(0),
                target,
            ),
            waiting_minutes: (at - item.created_at).num_minutes().max(0),
            assignee: item
                .assignee_id
                .and_then(|a| by_id.get(&a).map(|s| (*s).clone())),
            overdue: item.first_staff_response_at.is_none()
                && overdue_before.is_some_and(|line| item.created_at < line),
            item,
        })
        .collect();
    Ok(QueuePage {
        brand: found,
        rows,
        total,
        staff,
    })
}

/// Takes (assignee = the caller), assigns to a colleague, or unassigns (None) a thread; a
/// handover note goes to the new assignee (and stays as an internal note).
pub fn assign(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    assignee: Option<UserId>,
    handover: &str,
) -> AppResult<Topic> {
    let (found, _) = staff_topic(c, id, me)?;
    let mut errors = vec![];
    let handover = validate::plain_text("note", handover, 0, STATUS_NOTE_MAX, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        assign_in(c, mail, me, &found, assignee, &handover)?;
        Ok(topic::find(c, id)?)
    })
}

fn assign_in(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    found: &Topic,
    assignee: Option<UserId>,
    handover: &str,
) -> AppResult<()> {
    db::backend::lock_topic(c, found.id)?;
    let current = topic::find(c, found.id)?;
    if current.assignee_id == assignee {
        return Ok(());
    }
    let at = now();
    let Some(to) = assignee else {
        topic::set_assignee(c, found.id, None)?;
        event::insert(
            c,
            found.id,
            Some(me.id),
            EventKind::Unassigned,
            &json!({}),
            at,
        )?;
        let detail = json!({ "assignee": null, "by": webhook::person(me) });
        return webhook::emit(c, &current, "topic.assigned", detail);
    };
    if member::role_of(c, found.brand_id, to)?.is_none() {
        return Err(AppError::invalid(
            "user_id",
            "not_staff",
            "is not on this brand's staff",
        ));
    }
    let person = user::find(c, to)?;
    topic::set_assignee(c, found.id, Some(to))?;
    let event_id = event::insert(
        c,
        found.id,
        Some(me.id),
        EventKind::Assigned,
        &json!({ "username": person.username, "display_name": person.display_name }),
        at,
    )?;
    let detail = json!({ "assignee": webhook::person(&person), "by": webhook::person(me) });
    webhook::emit(c, &current, "topic.assigned", detail)?;
    if !handover.is_empty() {
        let body_html = markdown::to_html(handover);
        note::insert(c, found.id, me.id, handover, &body_html, at)?;
        let detail = json!({ "note": handover, "to": person.display_name });
        event::insert(c, found.id, Some(me.id), EventKind::Handover, &detail, at)?;
    }
    if to != me.id {
        let brand_row = brand::find(c, found.brand_id)?;
        let url = mail.topic_link(&brand_row.slug, found.id, &current.title);
        let mut context = Context::new();
        context.insert("username", &person.display_name);
        context.insert("assigner", &me.display_name);
        context.insert("title", &current.title);
        context.insert("brand", &brand_row.name);
        context.insert("url", &url);
        context.insert("handover", handover);
        let notice = Notice {
            kind: "assigned",
            always: false,
            template: "assigned",
            context,
            dedupe_key: format!("assigned:{event_id}"),
            topic: Some(found.id),
            title: &current.title,
            detail: format!("assigned by {}", me.display_name),
            url: &url,
        };
        notify::staff_member(c, mail, &person, &brand_row, notice)?;
    }
    Ok(())
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct StatusInput {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Moves a thread to a status its kind has, with an optional public note; its followers
/// (those who said "me too" among them) are told.
pub fn set_status(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    input: &StatusInput,
) -> AppResult<Topic> {
    let (found, _) = staff_topic(c, id, me)?;
    let (status, note) = checked_status(&found, input)?;
    db::write_transaction(c, |c| {
        status_in(c, mail, me, &found, status, &note)?;
        Ok(topic::find(c, id)?)
    })
}

fn checked_status(found: &Topic, input: &StatusInput) -> AppResult<(Status, String)> {
    let kind = Kind::parse(&found.kind).unwrap_or(Kind::Question);
    let mut errors = vec![];
    let note = validate::plain_text(
        "note",
        input.note.as_deref().unwrap_or(""),
        0,
        STATUS_NOTE_MAX,
        &mut errors,
    );
    match Status::parse(input.status.trim()) {
        Some(status) if status.fits(kind) && errors.is_empty() => Ok((status, note)),
        Some(_) | None if errors.is_empty() => Err(AppError::invalid(
            "status",
            "status_invalid",
            format!(
                "a {} can be {}",
                kind.as_str(),
                kind.statuses()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        _ => Err(AppError::Validation(errors)),
    }
}

fn status_in(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    found: &Topic,
    status: Status,
    note: &str,
) -> AppResult<()> {
    db::backend::lock_topic(c, found.id)?;
    let current = topic::find(c, found.id)?;
    if current.status == status.as_str() && note.is_empty() {
        return Ok(());
    }
    let at = now();
    let resolved_at = status.is_final().then(|| current.resolved_at.unwrap_or(at));
    topic::set_status(c, found.id, status.as_str(), resolved_at, at)?;
    crate::model::search_change::record(c, found.id, at)?;
    if status.is_final() {
        super::escalation::resolve_topic(c, found.id, None, Some(me.id))?;
    }
    let event_id = event::insert(
        c,
        found.id,
        Some(me.id),
        EventKind::Status,
        &json!({ "from": current.status, "to": status.as_str(), "note": note }),
        at,
    )?;
    let after = Topic {
        status: status.as_str().to_string(),
        ..current.clone()
    };
    let detail = json!({ "from": current.status, "to": status.as_str(), "note": note,
                         "by": webhook::person(me) });
    webhook::emit(c, &after, "topic.status_changed", detail)?;
    tell_followers(c, mail, me, &current, status, note, event_id)
}

fn tell_followers(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    found: &Topic,
    status: Status,
    note: &str,
    event_id: crate::model::EventId,
) -> AppResult<()> {
    let brand_row = brand::find(c, found.brand_id)?;
    let url = mail.topic_link(&brand_row.slug, found.id, &found.title);
    let round = super::fixed::current_round(&topic::find(c, found.id)?);
    for (user_id, email, language, name) in follow::audience(c, found.id, me.id)? {
        let unsubscribe = mail.unsubscribe_link(user_id, found.id);
        let mut context = Context::new();
        if let Some(round) = round
            && super::fixed::is_asked(c, found, user_id)?
        {
            context.insert(
                "fixed_yes",
                &mail.fixed_link(user_id, found.id, round, true),
            );
            context.insert(
                "fixed_no",
                &mail.fixed_link(user_id, found.id, round, false),
            );
        }
        context.insert("username", &name);
        context.insert("title", &found.title);
        context.insert("brand", &brand_row.name);
        context.insert("status", status.as_str());
        context.insert("note", note);
        context.insert("url", &url);
        context.insert("unsubscribe", &unsubscribe);
        mail.enqueue(
            c,
            Mail {
                to: &email,
                lang: Lang::parse(&language).unwrap_or_default(),
                template: "status_changed",
                context,
                dedupe_key: format!("status:{event_id}:{user_id}"),
                unsubscribe: Some(unsubscribe),
                reply_to: Some(mail.reply_to(Purpose::Reply, user_id, found.id)),
            },
        )?;
    }
    Ok(())
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct BulkInput {
    #[serde(default)]
    pub topic_ids: Vec<i64>,
    /// Some(None) unassigns; a user id assigns.
    #[serde(default, with = "double_option")]
    pub assignee: Option<Option<UserId>>,
    #[serde(default)]
    pub status: Option<String>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Assigns and/or moves many threads of one brand at once: all of them, or none.
pub fn bulk(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    slug: &str,
    input: &BulkInput,
) -> AppResult<usize> {
    let found_brand = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found_brand.id, me)?;
    if input.topic_ids.is_empty() || input.topic_ids.len() > BULK_MAX {
        return Err(AppError::invalid(
            "topic_ids",
            "count_invalid",
            format!("choose between 1 and {BULK_MAX} topics"),
        ));
    }
    if input.assignee.is_none() && input.status.as_deref().is_none_or(str::is_empty) {
        return Err(AppError::invalid(
            "status",
            "required",
            "choose an assignee or a status",
        ));
    }
    db::write_transaction(c, |c| {
        for raw in &input.topic_ids {
            let found = topic::find(c, TopicId(*raw))
                .ok()
                .filter(|t| t.brand_id == found_brand.id)
                .ok_or_else(|| {
                    AppError::invalid(
                        "topic_ids",
                        "topic_invalid",
                        format!("{raw} is not a topic of this brand"),
                    )
                })?;
            if let Some(assignee) = input.assignee {
                assign_in(c, mail, me, &found, assignee, "")?;
            }
            if let Some(text) = input.status.as_deref().filter(|s| !s.is_empty()) {
                let input = StatusInput {
                    status: text.to_string(),
                    note: None,
                };
                let (status, note) = checked_status(&found, &input)?;
                status_in(c, mail, me, &found, status, &note)?;
            }
        }
        Ok(input.topic_ids.len())
    })
}

/// Writes a staff-only note; colleagues @mentioned by username are mailed.
pub fn add_note(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    id: TopicId,
    text: &str,
) -> AppResult<NoteView> {
    let (found, _) = staff_topic(c, id, me)?;
    let mut errors = vec![];
    let body = validate::body("body", text, 1, NOTE_MAX, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let body_html = markdown::to_html(&body);
    db::write_transaction(c, |c| {
        let at = now();
        let note_id = note::insert(c, id, me.id, &body, &body_html, at)?;
        event::insert(
            c,
            id,
            Some(me.id),
            EventKind::Note,
            &json!({ "note_id": note_id }),
            at,
        )?;
        let brand_row = brand::find(c, found.brand_id)?;
        let staff = member::list(c, found.brand_id)?;
        for name in mentions(&body) {
            let Some(colleague) = staff
                .iter()
                .find(|s| s.username == name && s.user_id != me.id)
            else {
                continue;
            };
            let person = user::find(c, colleague.user_id)?;
            let url = mail.topic_link(&brand_row.slug, id, &found.title);
            let excerpt = markdown::excerpt(&body, 600);
            let mut context = Context::new();
            context.insert("username", &person.display_name);
            context.insert("author", &me.display_name);
            context.insert("title", &found.title);
            context.insert("brand", &brand_row.name);
            context.insert("excerpt", &excerpt);
            context.insert("url", &url);
            let notice = Notice {
                kind: "mention",
                always: false,
                template: "mentioned",
                context,
                dedupe_key: format!("mention:{note_id}:{}", person.id),
                topic: Some(found.id),
                title: &found.title,
                detail: format!("{}: {excerpt}", me.display_name),
                url: &url,
            };
            notify::staff_member(c, mail, &person, &brand_row, notice)?;
        }
        let notes = note::of_topic(c, id, TIMELINE_MAX)?;
        notes
            .into_iter()
            .find(|n| n.id == note_id)
            .ok_or(AppError::NotFound)
    })
}

/// The @usernames in a note, each once.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![];
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|ch| ch.is_alphanumeric()) {
            continue; // an email address, not a mention
        }
        let name: String = text[i + 1..]
            .chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-')
            .collect::<String>()
            .to_lowercase();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

pub fn notes(c: &mut DbConn, me: &User, id: TopicId) -> AppResult<Vec<NoteView>> {
    staff_topic(c, id, me)?;
    Ok(note::of_topic(c, id, TIMELINE_MAX)?)
}

/// The timeline: public events for everyone, all of them for the brand's staff.
pub fn events(c: &mut DbConn, viewer: Option<&User>, id: TopicId) -> AppResult<Vec<EventView>> {
    let (_, access) = topic_with_access(c, id, viewer)?;
    Ok(event::of_topic(c, id, access.staff(), TIMELINE_MAX)?)
}

/// "3d 4h", "2h 5m", "12m": how long a customer has waited, at a glance.
pub fn waiting_text(minutes: i64) -> String {
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins}m"),
        (0, _) => format!("{hours}h {mins}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn waiting_time_reads_at_a_glance() {
        assert_eq!(super::waiting_text(12), "12m");
        assert_eq!(super::waiting_text(125), "2h 5m");
        assert_eq!(super::waiting_text(3 * 1440 + 250), "3d 4h");
    }

    #[test]
    fn mentions_are_usernames_after_an_at_sign_not_email_addresses() {
        assert_eq!(
            mentions("@Ben please look; cc @chen_2, @ben. mail jo@acme.example"),
            vec!["ben".to_string(), "chen_2".to_string()]
        );
        assert!(mentions("no one").is_empty());
    }
}
