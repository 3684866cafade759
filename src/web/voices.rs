//! The voices inbox of a brand's staff: what customers say outside the community (items of
//! watched feeds that matched a monitor), with the feeds themselves.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::{CheckedForm, CsrfOnly};
use super::page::{Page, PageResult, redirect_with_flash};
use super::session::CurrentUser;
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic_status::Kind;
use crate::model::{FeedId, VoiceId};
use crate::service::voice::{self, ToTopicInput};

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    state: String,
}

/// GET /brands/{slug}/voices
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<InboxQuery>,
) -> PageResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let wanted = if query.state == "done" { "done" } else { "new" };
    let (found, items, feeds) = state
        .services
        .db
        .run(move |c| voice::page(c, &user, &slug, wanted))
        .await?;
    let mut page = Page::new(&req, "voices.title").await?;
    page.insert("brand", &found);
    page.insert("items", &items);
    page.insert("feeds", &feeds);
    page.insert("state", wanted);
    page.insert("kinds", &Kind::ALL.map(Kind::as_str));
    page.render(&req, "staff/voices.html")
}

#[derive(Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    url: String,
}

/// POST /brands/{slug}/feeds
pub async fn add_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<FeedForm>,
) -> PageResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let to = format!("/brands/{slug}/voices");
    let url =
        match crate::outbound::checked_url(form.0.url, state.config.webhook_allow_private).await {
            Ok(url) => url,
            Err(AppError::Validation(_)) => {
                return redirect_with_flash(&req, &to, "error", "flash.feed_refused");
            }
            Err(other) => return Err(other.into()),
        };
    act(&req, &state, &to, "flash.feed_added", move |c| {
        voice::add_feed(c, &user, &slug, url).map(drop)
    })
    .await
}

/// POST /feeds/{id}/delete
pub async fn delete_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CheckedForm<CsrfOnly>,
) -> PageResult {
    let (user, id) = (me.0.user, FeedId(*id));
    let found = state
        .services
        .db
        .run(move |c| voice::delete_feed(c, &user, id))
        .await?;
    let to = format!("/brands/{}/voices", found.slug);
    redirect_with_flash(&req, &to, "success", "flash.feed_removed")
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    slug: String,
}

/// POST /voices/{id}: make a topic of it (and go there), or dismiss it.
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<DecideForm>,
) -> PageResult {
    let (user, id, form) = (me.0.user, VoiceId(*id), form.0);
    let back = format!("/brands/{}/voices", form.slug);
    match form.action.as_str() {
        "topic" => {
            let input = ToTopicInput {
                kind: Some(form.kind),
            };
            let (found, created) = state
                .services
                .db
                .run(move |c| voice::to_topic(c, &user, id, &input))
                .await?;
            let url = super::topics::topic_url(&found.slug, created.id, &created.title);
            redirect_with_flash(&req, &url, "success", "flash.voice_posted")
        }
        "dismiss" => {
            act(&req, &state, &back, "flash.voice_dismissed", move |c| {
                voice::dismiss(c, &user, id).map(drop)
            })
            .await
        }
        _ => Err(AppError::NotFound.into()),
    }
}
