//! Topics and their answers: asking, replying, editing, me-too, helpful votes, the best
//! answer, following, and what a topic page shows.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::validate;
use crate::authz::{self, Access};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::markdown;
use crate::model::brand::{self, Brand, Product};
use crate::model::event::{self, EventKind, EventView};
use crate::model::member::{self, StaffView};
use crate::model::note::{self, NoteView};
use crate::model::reply::{self, ReplyView};
use crate::model::saved_reply::{self, SavedReply};
use crate::model::topic::{self, NewTopic, Topic};
use crate::model::topic_status::{Feeling, Kind, Status};
use crate::model::user::{self, User};
use crate::model::{ReplyId, TopicId, UserId, follow, me_too, now, pending_reply};

pub const TITLE_MIN: usize = 5;
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 50_000;
pub const REPLY_MAX: usize = 20_000;
/// How long an author may edit a topic.
pub const EDIT_WINDOW: Duration = Duration::minutes(30);
/// The most replies a topic page shows at once.
pub const REPLIES_SHOWN: i64 = 1000;

/// What a member types to open a topic.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct NewTopicInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub feeling: Option<String>,
    /// The brand's extra fields for this kind, by name.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}

/// Opens a topic in a brand's community; the author follows it from then on.
pub fn post(
    c: &mut DbConn,
    me: &User,
    brand_slug: &str,
    input: &NewTopicInput,
) -> AppResult<Topic> {
    authz::may_post(me)?;
    let found = brand::find_by_slug(c, brand_slug)?;
    let mut errors = vec![];
    let kind = Kind::parse(input.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "kind_invalid",
            "choose question, problem, idea or praise",
        ));
    }
    let title = validate::plain_text("title", &input.title, TITLE_MIN, TITLE_MAX, &mut errors);
    let body = validate::body("body", &input.body, 0, BODY_MAX, &mut errors);
    let feeling = match input
        .feeling
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(text) => Feeling::parse(text).map(Some).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "feeling",
                "feeling_invalid",
                "choose one of the six feelings",
            ));
            None
        }),
        None => None,
    };
    let products = brand::products_of(c, found.id)?;
    let product = match input
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(slug) => match products.iter().find(|p| p.slug == slug) {
            Some(p) => Some(p.id),
            None => {
                errors.push(FieldError::new(
                    "product",
                    "product_invalid",
                    "is not a product of this brand",
                ));
                None
            }
        },
        None => None,
    };
    let field_values = match kind {
        Some(k) => {
            super::field::checked_values(c, found.id, k.as_str(), &input.fields, &mut errors)?
        }
        None => vec![],
    };
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let body_html = markdown::to_html(&body);
    let official = authz::access(c, found.id, Some(me))?.official();
    db::write_transaction(c, |c| {
        let at = now();
        let id = topic::insert(
            c,
            &NewTopic {
                brand_id: found.id,
                product_id: product,
                author_id: me.id,
                kind: kind.as_str(),
                feeling: feeling.map(Feeling::as_str),
                title: &title,
                body: &body,
                body_html: &body_html,
                status: kind.initial_status().as_str(),
                official,
                created_at: at,
                last_activity_at: at,
            },
        )?;
        follow::set(c, id, me.id, true, at)?;
        crate::model::field::set_values(c, id, &field_values)?;
        brand::touch(c, found.id, at, 1)?;
        crate::model::search_change::record(c, id, at)?;
        let created = topic::find(c, id)?;
        super::webhook::emit(c, &created, "topic.created", serde_json::json!({}))?;
        Ok(created)
    })
}

/// Finds a topic anyone may see: hidden ones are "not found".
pub fn visible(c: &mut DbConn, id: TopicId) -> AppResult<Topic> {
    let found = topic::find(c, id)?;
    if found.hidden {
        Err(AppError::NotFound)
    } else {
        Ok(found)
    }
}

/// Where a merged duplicate now lives: the page path of the topic it went into.
pub fn merged_into(c: &mut DbConn, id: TopicId) -> AppResult<Option<String>> {
    let Some(into) = topic::find(c, id)?.duplicate_of else {
        return Ok(None);
    };
    let target = topic::find(c, into)?;
    let found_brand = brand::find(c, target.brand_id)?;
    Ok(Some(crate::web::topics::topic_url(
        &found_brand.slug,
        target.id,
        &target.title,
    )))
}

/// Whether `me` may still edit `topic`: its author inside the window, or a site admin.
pub fn may_edit(me: &User, found: &Topic, at: NaiveDateTime) -> bool {
    me.site_admin || (found.author_id == me.id && at - found.created_at <= EDIT_WINDOW)
}

/// Changes title and body, keeping the previous text as a revision.
pub fn edit(
    c: &mut DbConn,
    me: &User,
    id: TopicId,
    title: Option<&str>,
    body: Option<&str>,
) -> AppResult<Topic> {
    let found = visible(c, id)?;
    if !may_edit(me, &found, now()) {
        return Err(AppError::Forbidden);
    }
    let mut errors = vec![];
    let title = validate::plain_text(
        "title",
        title.unwrap_or(&found.title),
        TITLE_MIN,
        TITLE_MAX,
        &mut errors,
    );
    let body = validate::body(
        "body",
        body.unwrap_or(&found.body),
        0,
        BODY_MAX,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let body_html = markdown::to_html(&body);
    db::write_transaction(c, |c| {
        let at = now();
        topic::insert_revision(c, &found, me.id, at)?;
        topic::set_text(c, id, &title, &body, &body_html, at)?;
        crate::model::search_change::record(c, id, at)?;
        Ok(topic::find(c, id)?)
    })
}

/// What a reply says, and whether staff post it as the brand's official answer (and, for
/// staff, which product version it was verified for and when to check it again).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ReplyInput {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub official_answer: bool,
    #[serde(default)]
    pub verified_version: Option<String>,
    /// YYYY-MM-DD: when the answer should be verified again.
    #[serde(default)]
    pub review_on: Option<String>,
}

/// A reply as posted: published, or waiting for a supervisor's approval.
#[derive(Debug)]
pub enum Posted {
    Published(ReplyView),
    Pending(crate::model::PendingReplyId),
}

/// Posts a reply; its author follows the topic, and the other followers will hear of it.
/// Staff replies carry the official badge for good, and count as the brand's response; those
/// of staff who need approval wait for it instead.
pub fn post_reply(c: &mut DbConn, me: &User, id: TopicId, input: &ReplyInput) -> AppResult<Posted> {
    authz::may_post(me)?;
    let mut errors = vec![];
    let body = validate::body("body", &input.body, 1, REPLY_MAX, &mut errors);
    let checked = super::verification::checked(input, now(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let body_html = markdown::to_html(&body);
    db::write_transaction(c, |c| {
        let found = visible(c, id)?;
        let access = authz::access(c, found.brand_id, Some(me))?;
        if (input.official_answer || checked.is_some()) && !access.official() {
            return Err(AppError::Forbidden);
        }
        if access.official() && member::needs_approval(c, found.brand_id, me.id)? {
            let row = pending_reply::NewPending {
                topic: id,
                brand: found.brand_id,
                author: me.id,
                body: &body,
                official_answer: input.official_answer,
                verified_version: checked.as_ref().and_then(|v| v.version.as_deref()),
                review_at: checked.as_ref().and_then(|v| v.review_at),
            };
            return Ok(Posted::Pending(pending_reply::insert(c, &row, now())?));
        }
        let reply = Publish {
            body: &body,
            body_html: &body_html,
            official_answer: input.official_answer,
            verification: checked,
        };
        publish(c, me, &found, access, &reply).map(Posted::Published)
    })
}

/// A reply ready to go out (checked, and approved where it had to be).
pub struct Publish<'a> {
    pub body: &'a str,
    pub body_html: &'a str,
    pub official_answer: bool,
    pub verification: Option<super::verification::Verification>,
}

/// Writes a reply and all that follows from it, inside the caller's transaction.
pub fn publish(
    c: &mut DbConn,
    author: &User,
    found: &Topic,
    access: Access,
    reply: &Publish,
) -> AppResult<ReplyView> {
    let id = found.id;
    if found.locked && !access.staff() {
        return Err(AppError::Conflict("this topic is locked"));
    }
    let at = now();
    let reply_id = reply::insert(
        c,
        id,
        author.id,
        reply.body,
        reply.body_html,
        access.official(),
        at,
    )?;
    if let Some(v) = &reply.verification {
        reply::set_verification(c, reply_id, v.version.as_deref(), v.review_at)?;
    }
    topic::note_reply(c, found, author.id, at)?;
    if access.official() {
        topic::note_staff_reply(c, id, at)?;
    }
    if reply.official_answer {
        topic::set_official_reply(c, id, Some(reply_id))?;
    }
    follow::set(c, id, author.id, true, at)?;
    follow::mark_pending(c, id, reply_id, author.id)?;
    brand::touch(c, found.brand_id, at, 0)?;
    crate::model::search_change::record(c, id, at)?;
    let detail = serde_json::json!({ "reply": {
        "id": reply_id,
        "author": super::webhook::person(author),
        "official": access.official(),
        "official_answer": reply.official_answer,
        "body": reply.body,
        "created_at": at,
    }});
    super::webhook::emit(c, found, "reply.created", detail)?;
    let views = reply::since(c, id, reply_id, 1)?;
    views.into_iter().next().ok_or(AppError::NotFound)
}

/// Says (or unsays) "me too"; idempotent either way. Returns the count.
pub fn set_me_too(c: &mut DbConn, me: &User, id: TopicId, on: bool) -> AppResult<i32> {
    db::write_transaction(c, |c| {
        let found = visible(c, id)?;
        if found.author_id == me.id {
            return Err(AppError::invalid(
                "topic",
                "own_topic",
                "you opened this topic",
            ));
        }
        if on {
            follow::set(c, id, me.id, true, now())?; // who says "me too" hears how it ends
        }
        Ok(me_too::set(c, id, me.id, on, now())?)
    })
}

/// Marks a reply helpful, once per member; the reply's author earns a point.
pub fn mark_helpful(c: &mut DbConn, me: &User, id: ReplyId) -> AppResult<i32> {
    db::write_transaction(c, |c| {
        let found = reply::find(c, id)?;
        visible(c, found.topic_id)?;
        if found.author_id == me.id {
            return Err(AppError::invalid(
                "reply",
                "own_reply",
                "you wrote this reply",
            ));
        }
        if reply::add_helpful(c, id, me.id, now())? {
            user::add_points(c, found.author_id, 1, 0)?;
        }
        Ok(reply::helpful_count(c, id)?)
    })
}

/// The asker, or the brand's staff, picks the best answer to a question.
pub fn accept(c: &mut DbConn, me: &User, id: TopicId, reply_id: ReplyId) -> AppResult<Topic> {
    db::write_transaction(c, |c| {
        let found = visible(c, id)?;
        let staff = authz::access(c, found.brand_id, Some(me))?.staff();
        if found.author_id != me.id && !staff {
            return Err(AppError::Forbidden);
        }
        if Kind::parse(&found.kind) != Some(Kind::Question) {
            return Err(AppError::invalid(
                "reply_id",
                "not_a_question",
                "only questions have a best answer",
            ));
        }
        let chosen = reply::find(c, reply_id).ok().filter(|r| r.topic_id == id);
        let Some(chosen) = chosen else {
            return Err(AppError::invalid(
                "reply_id",
                "reply_invalid",
                "is not a reply to this topic",
            ));
        };
        if found.accepted_reply_id == Some(reply_id) {
            return Ok(found);
        }
        if let Some(previous) = found.accepted_reply_id.and_then(|r| reply::find(c, r).ok()) {
            user::add_points(c, previous.author_id, 0, -1)?;
        }
        user::add_points(c, chosen.author_id, 0, 1)?;
        topic::set_accepted(c, id, Some(reply_id), Status::Answered.as_str())?;
        if found.status != Status::Answered.as_str() {
            let at = now();
            let resolved = Some(found.resolved_at.unwrap_or(at));
            topic::set_status(c, id, Status::Answered.as_str(), resolved, at)?;
            let detail = serde_json::json!({ "from": found.status, "to": "answered", "note": "" });
            event::insert(c, id, Some(me.id), EventKind::Status, &detail, at)?;
            super::escalation::resolve_topic(c, id, None, Some(me.id))?;
            crate::model::search_change::record(c, id, at)?;
            let answered = topic::find(c, id)?;
            let detail = serde_json::json!({ "from": found.status, "to": "answered", "note": "",
                                             "by": super::webhook::person(me) });
            super::webhook::emit(c, &answered, "topic.status_changed", detail)?;
            return Ok(answered);
        }
        Ok(topic::find(c, id)?)
    })
}

pub fn set_follow(c: &mut DbConn, me: &User, id: TopicId, on: bool) -> AppResult<()> {
    db::write_transaction(c, |c| {
        visible(c, id)?;
        Ok(follow::set(c, id, me.id, on, now())?)
    })
}

/// Everything a topic page shows, in a handful of queries whatever the number of replies.
#[derive(Debug, Serialize)]
pub struct TopicPage {
    pub topic: Topic,
    pub access: Access,
    pub events: Vec<EventView>,
    pub staff: Option<StaffPanel>,
    pub brand: Brand,
    pub product: Option<Product>,
    pub author: AuthorView,
    pub replies: Vec<ReplyView>,
    pub viewer: Option<ViewerFlags>,
    /// The people on the page who hold the brand's champion badge.
    pub brand_champions: Vec<UserId>,
    /// The brand's extra fields this viewer may see.
    pub fields: Vec<crate::model::field::FieldValue>,
}

/// What only the brand's staff see on a topic page.
#[derive(Debug, Serialize)]
pub struct StaffPanel {
    pub notes: Vec<NoteView>,
    pub colleagues: Vec<StaffView>,
    pub saved_replies: Vec<SavedReply>,
    pub products: Vec<Product>,
    pub statuses: Vec<&'static str>,
    pub escalations: Vec<crate::model::escalation::Escalation>,
}

#[derive(Debug, Serialize)]
pub struct AuthorView {
    pub username: String,
    pub display_name: String,
    pub helpful_received: i32,
    pub accepted_answers: i32,
}

/// What the viewer has done here and may do.
#[derive(Debug, Serialize)]
pub struct ViewerFlags {
    pub me_too: bool,
    pub following: bool,
    pub helpful: Vec<ReplyId>,
    pub can_edit: bool,
    pub can_accept: bool,
    pub is_author: bool,
    /// "Did this fix it for you?" waits for this viewer's answer.
    pub ask_fixed: bool,
}

pub fn page(c: &mut DbConn, id: TopicId, viewer: Option<&User>) -> AppResult<TopicPage> {
    let (found, access) = super::workflow::topic_with_access(c, id, viewer)?;
    if found.duplicate_of.is_some() {
        return Err(AppError::NotFound); // see merged_into
    }
    let found_brand = brand::find(c, found.brand_id)?;
    let product = match found.product_id {
        Some(p) => brand::products_of(c, found.brand_id)?
            .into_iter()
            .find(|x| x.id == p),
        None => None,
    };
    let author = user::find(c, found.author_id)?;
    let replies = reply::of_topic(c, id, REPLIES_SHOWN)?;
    let flags = match viewer {
        Some(me) => {
            let ids: Vec<ReplyId> = replies.iter().map(|r| r.reply.id).collect();
            Some(ViewerFlags {
                me_too: me_too::has(c, id, me.id)?,
                following: follow::follows(c, id, me.id)?,
                helpful: reply::helpful_by(c, me.id, &ids)?,
                can_edit: may_edit(me, &found, now()),
                can_accept: (found.author_id == me.id || access.staff())
                    && found.kind == Kind::Question.as_str(),
                is_author: found.author_id == me.id,
                ask_fixed: super::fixed::asks_viewer(c, &found, me.id)?,
            })
        }
        None => None,
    };
    let events = event::of_topic(c, id, access.staff(), super::workflow::TIMELINE_MAX)?;
    let mut people: Vec<UserId> = replies.iter().map(|r| r.reply.author_id).collect();
    people.push(found.author_id);
    let brand_champions = crate::model::champion::among(c, found.brand_id, &people)?;
    let staff = if access.staff() {
        let kind = Kind::parse(&found.kind).unwrap_or(Kind::Question);
        Some(StaffPanel {
            notes: note::of_topic(c, id, super::workflow::TIMELINE_MAX)?,
            colleagues: member::list(c, found.brand_id)?,
            saved_replies: saved_reply::of_brand(c, found.brand_id)?,
            products: brand::products_of(c, found.brand_id)?,
            statuses: kind.statuses().iter().map(|s| s.as_str()).collect(),
            escalations: crate::model::escalation::of_topic(c, id)?,
        })
    } else {
        None
    };
    let fields = super::field::visible_values(c, &found, viewer, access.staff())?;
    Ok(TopicPage {
        fields,
        access,
        events,
        staff,
        author: AuthorView {
            username: author.username,
            display_name: author.display_name,
            helpful_received: author.helpful_received,
            accepted_answers: author.accepted_answers,
        },
        topic: found,
        brand: found_brand,
        product,
        replies,
        viewer: flags,
        brand_champions,
    })
}

/// The secret in a follower mail's unsubscribe link: who, which topic, signed.
pub fn unsubscribe_token(
    key: &crate::secret::SigningKey,
    user: crate::model::UserId,
    topic: TopicId,
) -> String {
    let message = format!("{user}.{topic}");
    format!("{message}.{}", key.sign("unsubscribe", &message))
}

/// Reads an unsubscribe token back; None when it was not made by this server.
pub fn read_unsubscribe_token(
    key: &crate::secret::SigningKey,
    token: &str,
) -> Option<(crate::model::UserId, TopicId)> {
    let mut parts = token.splitn(3, '.');
    let (user, topic, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if !key.verify("unsubscribe", &format!("{user}.{topic}"), signature) {
        return None;
    }
    Some((
        crate::model::UserId(user.parse().ok()?),
        TopicId(topic.parse().ok()?),
    ))
}

/// Stops a follower's mail about a topic, from the link in that mail.
pub fn unsubscribe(
    c: &mut DbConn,
    key: &crate::secret::SigningKey,
    token: &str,
) -> AppResult<Topic> {
    let (user, id) = read_unsubscribe_token(key, token)
        .ok_or_else(|| AppError::invalid("token", "token_invalid", "this link is not valid"))?;
    db::write_transaction(c, |c| {
        follow::set(c, id, user, false, now())?;
        Ok(topic::find(c, id)?)
    })
}
