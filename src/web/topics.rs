//! The topic page and what can be done on it: reply, me too, follow, best answer,
//! helpful, edit.

use super::errors::PageError;
use super::forms::CheckedForm;
use super::forms::OnOffForm;
use super::page::PageResult;
use super::page::{Page, redirect, redirect_with_flash};
use super::page_cache;
use super::session::{CurrentUser, MaybeUser};
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic_status::Feeling;
use crate::model::{ReplyId, TopicId, user};
use crate::service::topic::{self as topics};
use crate::service::{self, PointsRule};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

/// The page URL of a topic: its id, then its title's ASCII words for people and search engines.
pub fn topic_url(brand_slug: &str, id: TopicId, title: &str) -> String {
    let mut errors = vec![];
    let words = service::validate::slug_from("title", title, &mut errors);
    if errors.is_empty() {
        format!("/brands/{brand_slug}/topics/{id}-{words}")
    } else {
        format!("/brands/{brand_slug}/topics/{id}")
    }
}

/// The id at the start of a "{id}-{words}" path segment.
fn topic_id(segment: &str) -> Result<TopicId, AppError> {
    let digits = segment.split('-').next().unwrap_or_default();
    digits
        .parse::<i64>()
        .map(TopicId)
        .map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
struct ReplyRow<'a> {
    #[serde(flatten)]
    view: &'a crate::model::reply::ReplyView,
    points: i32,
    champion: bool,
    brand_champion: bool,
    helpful_by_viewer: bool,
    accepted: bool,
}

/// GET /brands/{slug}/topics/{id}[-words]
pub async fn show_topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (brand_slug, segment) = path.into_inner();
    let id = topic_id(&segment)?;
    let render = || render_topic(req.clone(), state.clone(), viewer, brand_slug, id);
    let response = page_cache::serve(&req, &state, render).await?;
    if matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        state.views.add(id);
    }
    Ok(response)
}

async fn render_topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    brand_slug: String,
    id: TopicId,
) -> PageResult {
    let viewer_user = viewer.0.map(|v| v.user);
    let data = match state
        .services
        .db
        .run(move |c| topics::page(c, id, viewer_user.as_ref()))
        .await
    {
        Ok(data) => data,
        Err(AppError::NotFound) => {
            let target = state
                .services
                .db
                .run(move |c| topics::merged_into(c, id))
                .await?
                .ok_or(AppError::NotFound)?;
            return Ok(actix_web::HttpResponse::MovedPermanently()
                .insert_header((actix_web::http::header::LOCATION, target))
                .finish());
        }
        Err(other) => return Err(other.into()),
    };
    if data.brand.slug != brand_slug {
        return Err(AppError::NotFound.into());
    }
    let rule: PointsRule = state.services.points;
    let helpful: &[ReplyId] = data.viewer.as_ref().map_or(&[], |v| v.helpful.as_slice());
    let rows: Vec<ReplyRow> = data
        .replies
        .iter()
        .map(|r| {
            let points = rule.points(r.author_points.0, r.author_points.1);
            ReplyRow {
                view: r,
                points,
                champion: rule.is_champion(points),
                brand_champion: data.brand_champions.contains(&r.reply.author_id),
                helpful_by_viewer: helpful.contains(&r.reply.id),
                accepted: data.topic.accepted_reply_id == Some(r.reply.id),
            }
        })
        .collect();
    let accepted = rows.iter().find(|r| r.accepted);
    let official = data
        .topic
        .official_reply_id
        .and_then(|o| rows.iter().find(|r| r.view.reply.id == o));
    let timeline: Vec<serde_json::Value> = data
        .events
        .iter()
        .map(|e| {
            serde_json::json!({ "kind": e.kind, "public": e.public, "detail": e.detail_json(),
                                "actor": e.actor_name, "created_at": e.created_at })
        })
        .collect();
    let author_points = rule.points(data.author.helpful_received, data.author.accepted_answers);
    let mut page = Page::new(&req, "topic.title").await?;
    page.insert("page_title", &data.topic.title);
    page.insert("topic", &data.topic);
    page.insert(
        "url",
        &topic_url(&data.brand.slug, data.topic.id, &data.topic.title),
    );
    page.insert("brand", &data.brand);
    page.insert("product", &data.product);
    page.insert("fields", &data.fields);
    page.insert("author", &data.author);
    page.insert("author_champion", &rule.is_champion(author_points));
    page.insert(
        "author_brand_champion",
        &data.brand_champions.contains(&data.topic.author_id),
    );
    page.insert(
        "feeling_face",
        &data
            .topic
            .feeling
            .as_deref()
            .and_then(Feeling::parse)
            .map(Feeling::face),
    );
    page.insert("replies", &rows);
    page.insert("accepted", &accepted);
    page.insert("official", &official);
    page.insert("timeline", &timeline);
    page.insert("access", &data.access);
    page.insert("staff", &data.staff);
    page.insert("flag_reasons", &crate::model::flag::REASONS);
    page.insert("flags", &data.viewer);
    page.render(&req, "topics/show.html")
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    official_answer: Option<String>,
    /// A saved reply to post when the body is left empty (staff, without JavaScript).
    #[serde(default)]
    saved_reply: Option<String>,
    #[serde(default)]
    verified_version: Option<String>,
    #[serde(default)]
    review_on: Option<String>,
}

pub async fn post_reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyForm>,
) -> PageResult {
    let (brand_slug, segment) = path.into_inner();
    let id = topic_id(&segment)?;
    let user = me.0.user;
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let form = form.0;
    let saved = form
        .saved_reply
        .as_deref()
        .and_then(|s| s.parse::<i64>().ok())
        .map(crate::model::SavedReplyId);
    let mut input = topics::ReplyInput {
        body: form.body,
        official_answer: form.official_answer.as_deref() == Some("1"),
        verified_version: form.verified_version,
        review_on: form.review_on,
    };
    let url = format!("/brands/{brand_slug}/topics/{segment}");
    match state
        .services
        .db
        .run(move |c| {
            if let (Some(saved), true) = (saved, input.body.trim().is_empty()) {
                input.body = crate::service::staff::saved_reply_for(c, &user, id, saved)?;
            }
            topics::post_reply(c, &user, id, &input)
        })
        .await
    {
        Ok(topics::Posted::Published(created)) => {
            state.services.mail.wake();
            Ok(redirect(&format!("{url}#reply-{}", created.reply.id)))
        }
        Ok(topics::Posted::Pending(_)) => {
            redirect_with_flash(&req, &url, "info", "flash.reply_pending")
        }
        Err(AppError::Validation(_)) => redirect_with_flash(
            &req,
            &format!("{url}#reply-form"),
            "error",
            "flash.reply_empty",
        ),
        Err(other) => Err(other.into()),
    }
}

/// The topic id and page URL of a "/brands/{slug}/topics/{id}-words" action path.
pub(super) fn topic_action(path: (String, String)) -> Result<(TopicId, String), PageError> {
    let (brand_slug, segment) = path;
    Ok((
        topic_id(&segment)?,
        format!("/brands/{brand_slug}/topics/{segment}"),
    ))
}

type Toggle = fn(&mut crate::db::DbConn, &user::User, TopicId, bool) -> Result<(), AppError>;

/// The on/off buttons of a topic (me too, follow): set, then back to the topic.
async fn toggle(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<OnOffForm>,
    set: Toggle,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, on) = (me.0.user, form.0.on == "1");
    state
        .services
        .db
        .run(move |c| set(c, &user, id, on))
        .await?;
    Ok(redirect(&url))
}

pub async fn me_too(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<OnOffForm>,
) -> PageResult {
    toggle(state, me, path, form, |c, user, id, on| {
        topics::set_me_too(c, user, id, on).map(drop)
    })
    .await
}

pub async fn follow_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<OnOffForm>,
) -> PageResult {
    toggle(state, me, path, form, topics::set_follow).await
}

#[derive(Deserialize)]
pub struct ReplyChoice {
    #[serde(default)]
    reply_id: i64,
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyChoice>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, reply) = (me.0.user, ReplyId(form.0.reply_id));
    state
        .services
        .db
        .run(move |c| topics::accept(c, &user, id, reply))
        .await?;
    redirect_with_flash(&req, &url, "success", "flash.answer_accepted")
}

pub async fn helpful(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<ReplyChoice>,
) -> PageResult {
    let (_, url) = topic_action(path.into_inner())?;
    let (user, reply) = (me.0.user, ReplyId(form.0.reply_id));
    state
        .services
        .db
        .run(move |c| topics::mark_helpful(c, &user, reply))
        .await?;
    Ok(redirect(&format!("{url}#reply-{}", reply)))
}

pub async fn show_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let found = state
        .services
        .db
        .run(move |c| topics::visible(c, id))
        .await?;
    if !topics::may_edit(&me.0.user, &found, crate::model::now()) {
        return Err(AppError::Forbidden.into());
    }
    let mut page = Page::new(&req, "edit.title").await?;
    page.insert(
        "form",
        &serde_json::json!({ "title": found.title, "body": found.body }),
    );
    page.insert("url", &url);
    page.render(&req, "topics/edit.html")
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<EditForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let form = form.0;
    let (user, title, body) = (me.0.user, form.title.clone(), form.body.clone());
    match state
        .services
        .db
        .run(move |c| topics::edit(c, &user, id, Some(&title), Some(&body)))
        .await
    {
        Ok(_) => redirect_with_flash(&req, &url, "success", "flash.topic_edited"),
        Err(AppError::Validation(errors)) => {
            let mut page = Page::new(&req, "edit.title").await?;
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({ "title": form.title, "body": form.body }),
            );
            page.insert("url", &url);
            page.render_with_status(&req, "topics/edit.html", StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}
