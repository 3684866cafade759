//! What staff and members do on a topic page beyond answering: take and assign, status,
//! internal notes, flags, locks, merges, moves, hiding.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::{CheckedForm, OnOffForm};
use super::page::PageResult;
use super::session::CurrentUser;
use super::staff::act;
use super::topics::topic_action;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::{ReplyId, TopicId, UserId};
use crate::service::moderation::{self, FlagInput};
use crate::service::workflow::{self, StatusInput};

type TopicPath = web::Path<(String, String)>;

#[derive(Deserialize)]
pub struct AssignForm {
    /// A user id, or empty to unassign.
    #[serde(default)]
    assignee: String,
    /// The "take it" button: the caller becomes the assignee.
    #[serde(default)]
    take: Option<String>,
    /// A handover note for the new assignee.
    #[serde(default)]
    note: String,
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<AssignForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, mail) = (me.0.user, state.services.mail.clone());
    let form = form.0;
    let to = match form.assignee.as_str() {
        _ if form.take.is_some() => Some(user.id),
        "" => None,
        other => Some(UserId(
            other
                .parse()
                .map_err(|_| AppError::BadRequest("assignee".into()))?,
        )),
    };
    act(&req, &state, &url, "flash.assigned", move |c| {
        workflow::assign(c, &mail, &user, id, to, &form.note).map(drop)
    })
    .await
}

pub async fn set_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<StatusInput>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, mail, input) = (me.0.user, state.services.mail.clone(), form.0);
    act(&req, &state, &url, "flash.status_changed", move |c| {
        workflow::set_status(c, &mail, &user, id, &input).map(drop)
    })
    .await
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

pub async fn add_note(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<NoteForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, mail, text) = (me.0.user, state.services.mail.clone(), form.0.body);
    act(
        &req,
        &state,
        &format!("{url}#notes"),
        "flash.note_added",
        move |c| workflow::add_note(c, &mail, &user, id, &text).map(drop),
    )
    .await
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reply_id: Option<i64>,
}

pub async fn flag(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<FlagForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, form) = (me.0.user, form.0);
    let input = FlagInput {
        reason: form.reason,
        note: Some(form.note),
    };
    let reply = form.reply_id.map(ReplyId);
    act(&req, &state, &url, "flash.flagged", move |c| {
        moderation::flag(c, &user, id, reply, &input)
    })
    .await
}

pub async fn lock(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<OnOffForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, on) = (me.0.user, form.0.on == "1");
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        moderation::set_locked(c, &user, id, on)
    })
    .await
}

#[derive(Deserialize)]
pub struct HideForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    reply_id: Option<i64>,
}

pub async fn hide(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<HideForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, form) = (me.0.user, form.0);
    let hidden = form.on == "1";
    act(
        &req,
        &state,
        &url,
        "flash.settings_saved",
        move |c| match form.reply_id {
            Some(reply) => moderation::set_reply_hidden(c, &user, ReplyId(reply), hidden),
            None => moderation::set_topic_hidden(c, &user, id, hidden),
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    /// The other topic: its id, or its address.
    #[serde(default)]
    into: String,
}

/// The topic id in "123" or ".../topics/123-words".
fn topic_ref(text: &str) -> Option<TopicId> {
    let tail = text.trim().rsplit("/topics/").next()?;
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(TopicId)
}

pub async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<MergeForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let user = me.0.user;
    let Some(into) = topic_ref(&form.0.into) else {
        return super::page::redirect_with_flash(&req, &url, "error", "flash.action_invalid");
    };
    let brand_slug = url.split('/').nth(2).unwrap_or_default().to_string();
    let target = state
        .services
        .db
        .run(move |c| moderation::merge(c, &user, id, into))
        .await;
    match target {
        Ok(t) => super::page::redirect_with_flash(
            &req,
            &super::topics::topic_url(&brand_slug, t.id, ""),
            "success",
            "flash.merged",
        ),
        Err(AppError::Validation(_)) => {
            super::page::redirect_with_flash(&req, &url, "error", "flash.action_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    product: String,
}

pub async fn move_topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: TopicPath,
    form: CheckedForm<MoveForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, product) = (me.0.user, form.0.product);
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        moderation::move_topic(c, &user, id, Some(&product))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::topic_ref;
    use crate::model::TopicId;

    #[test]
    fn a_merge_target_is_an_id_or_a_topic_address() {
        assert_eq!(topic_ref("42"), Some(TopicId(42)));
        assert_eq!(
            topic_ref("https://x.example/brands/a/topics/42-some-words"),
            Some(TopicId(42))
        );
        assert_eq!(topic_ref("nothing"), None);
    }
}
