//! Being seen to answer: "Did this fix it for you?", incidents and the brand's status
//! notice, public response times, supervised replies, answers to re-verify.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::staff::run;
use crate::app::AppState;
use crate::authz;
use crate::model::{EscalationId, PendingReplyId, ReplyId, TopicId, escalation, incident};
use crate::service::{approval, fixed, incident as incidents, response_times, verification};
use crate::web::errors::ApiError;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

#[derive(Deserialize)]
pub struct FixedBody {
    fixed: bool,
}

/// POST /topics/{id}/fixed: the author or a me-too'er says whether the fix worked.
pub async fn answer_fixed(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<FixedBody>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let fixed = body.fixed;
    let answered = run(&state, move |c| fixed::answer(c, &mail, &user, id, fixed)).await?;
    state.services.mail.wake();
    Ok(HttpResponse::Ok().json(answered))
}

#[derive(Deserialize)]
pub struct NoticeBody {
    #[serde(default)]
    body: String,
    escalation_id: Option<i64>,
}

/// PUT /brands/{slug}/notice (brand staff)
pub async fn pin_notice(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<NoticeBody>,
) -> ApiResult {
    let (user, slug, body) = (me.0.user, slug.into_inner(), body.into_inner());
    let pinned = run(&state, move |c| {
        incidents::pin(
            c,
            &user,
            &slug,
            &body.body,
            body.escalation_id.map(EscalationId),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(pinned))
}

/// DELETE /brands/{slug}/notice (brand staff)
pub async fn unpin_notice(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    run(&state, move |c| incidents::unpin(c, &user, &slug)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /escalations/{id}/topics: the topics an incident links (brand staff).
pub async fn incident_topics(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, EscalationId(*id));
    let linked = run(&state, move |c| {
        let found = escalation::find(c, id)?;
        authz::staff_of(c, found.brand_id, &user)?;
        Ok(incident::linked(c, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": linked })))
}

#[derive(Deserialize)]
pub struct HiddenBody {
    hidden: bool,
}

/// PUT /brands/{slug}/response-times: a community-run brand hides or shows them.
pub async fn set_response_times(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<HiddenBody>,
) -> ApiResult {
    let (user, slug, hidden) = (me.0.user, slug.into_inner(), body.hidden);
    let found = run(&state, move |c| {
        response_times::set_hidden(c, &user, &slug, hidden)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "hidden": found.hide_response_times })))
}

/// GET /brands/{slug}/approvals: waiting answers (all for admins, their own for staff).
pub async fn approvals(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (_, _, rows) = run(&state, move |c| approval::list(c, &user, &slug)).await?;
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({ "id": r.pending.id, "topic_id": r.pending.topic_id, "topic_title": r.topic_title,
                    "author": { "username": r.author_username, "display_name": r.author_name },
                    "body": r.pending.body, "official_answer": r.pending.official_answer,
                    "state": r.pending.state, "note": r.pending.note,
                    "created_at": super::json::time(r.pending.created_at) })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct DecisionBody {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    note: String,
}

/// POST /pending-replies/{id}/approve and /return (brand admins), /withdraw (its author).
pub async fn decide(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
    body: web::Json<DecisionBody>,
) -> ApiResult {
    let ((id, action), user, body) = (path.into_inner(), me.0.user, body.into_inner());
    let id = PendingReplyId(id);
    match action.as_str() {
        "approve" => {
            let reply = run(&state, move |c| {
                approval::approve(c, &user, id, body.body.as_deref())
            })
            .await?;
            state.services.mail.wake();
            Ok(HttpResponse::Created().json(super::json::reply(&reply)))
        }
        "return" => {
            run(&state, move |c| {
                approval::send_back(c, &user, id, &body.note)
            })
            .await?;
            Ok(HttpResponse::NoContent().finish())
        }
        "withdraw" => {
            run(&state, move |c| approval::withdraw(c, &user, id)).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        _ => Err(crate::error::AppError::NotFound.into()),
    }
}

#[derive(Deserialize)]
pub struct VerificationBody {
    #[serde(default)]
    verified_version: Option<String>,
    #[serde(default)]
    review_on: Option<String>,
}

/// PUT /replies/{id}/verification (brand staff, official answers)
pub async fn set_verification(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<VerificationBody>,
) -> ApiResult {
    let (user, id, body) = (me.0.user, ReplyId(*id), body.into_inner());
    let found = run(&state, move |c| {
        verification::set(
            c,
            &user,
            id,
            body.verified_version.as_deref(),
            body.review_on.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": found.id,
        "verified_version": found.verified_version,
        "review_at": super::json::time_opt(found.review_at) })))
}

/// GET /brands/{slug}/reverify: official answers past their review date (brand staff).
pub async fn reverify(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (_, due) = run(&state, move |c| verification::queue(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": due })))
}
