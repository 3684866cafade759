//! Escalations, their rules, staff notification settings, and the site admin's view of the
//! mail queue: the escalation part of API.md.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json;
use super::staff::{ok, run};
use crate::app::AppState;
use crate::authz;
use crate::error::AppError;
use crate::model::escalation::Escalation;
use crate::model::notification::{self, Mode};
use crate::model::{EscalationId, OutboxEmailId, TopicId, now, outbox};
use crate::service::escalation::{self, RulesInput};
use crate::service::{ESCALATIONS_PER_MEMBER, HELP_REQUESTS_PER_MEMBER};
use crate::web::errors::ApiError;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

pub fn escalation_json(e: &Escalation) -> Value {
    json!({ "id": e.id, "topic_id": e.topic_id, "level": e.level, "reason": e.reason,
            "source": e.source, "rule": e.rule, "state": e.state, "opened_by": e.opened_by,
            "opened_at": json::time(e.opened_at), "acknowledged_by": e.acknowledged_by,
            "acknowledged_at": json::time_opt(e.acknowledged_at),
            "minutes_to_acknowledge": escalation::minutes_to_acknowledge(e),
            "resolved_at": json::time_opt(e.resolved_at), "level2_at": json::time_opt(e.level2_at) })
}

#[derive(Deserialize)]
pub struct EscalateBody {
    #[serde(default)]
    reason: String,
    level: Option<i32>,
}

/// POST /topics/{id}/escalations
pub async fn escalate(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<EscalateBody>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let key = format!("escalations:{}", user.id);
    state
        .services
        .limits
        .hit(&state.services.db, key, ESCALATIONS_PER_MEMBER)
        .await?;
    let opened = run(&state, move |c| {
        escalation::escalate(c, &mail, &user, id, &body.reason, body.level)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Created().json(escalation_json(&opened)))
}

#[derive(Deserialize)]
pub struct HelpBody {
    #[serde(default)]
    reason: String,
}

/// POST /topics/{id}/request-help
pub async fn request_help(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<HelpBody>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let key = format!("help:{}", user.id);
    state
        .services
        .limits
        .hit(&state.services.db, key, HELP_REQUESTS_PER_MEMBER)
        .await?;
    let opened = run(&state, move |c| {
        escalation::request_help(c, &mail, &user, id, &body.reason)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Created().json(escalation_json(&opened)))
}

/// POST /escalations/{id}/acknowledge and /resolve
pub async fn act(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> ApiResult {
    let ((id, action), user) = (path.into_inner(), me.0.user);
    let id = EscalationId(id);
    let done = match action.as_str() {
        "acknowledge" => run(&state, move |c| escalation::acknowledge(c, &user, id)).await?,
        "resolve" => run(&state, move |c| escalation::resolve(c, &user, id)).await?,
        _ => return Err(AppError::NotFound.into()),
    };
    Ok(HttpResponse::Ok().json(escalation_json(&done)))
}

#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    token: String,
}

/// POST /escalations/acknowledge: the one-click link from the mail.
pub async fn acknowledge_by_link(
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> ApiResult {
    let done = run(&state, move |c| {
        escalation::acknowledge_by_link(c, &body.token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(escalation_json(&done)))
}

#[derive(Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

/// GET /brands/{slug}/escalations
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<StateQuery>,
) -> ApiResult {
    let user = me.0.user;
    let wanted = query.into_inner().state.unwrap_or_else(|| "open".into());
    let (_, rows) = run(&state, move |c| escalation::list(c, &user, &slug, &wanted)).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut item = escalation_json(&r.escalation);
            item["topic"] = json!({ "title": r.topic_title, "kind": r.topic_kind });
            item
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// GET /brands/{slug}/escalation-rules
pub async fn rules(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let user = me.0.user;
    let (_, found) = run(&state, move |c| escalation::rules(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// PUT /brands/{slug}/escalation-rules
pub async fn set_rules(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<RulesInput>,
) -> ApiResult {
    let user = me.0.user;
    let input = body.into_inner();
    let saved = input.clone();
    run(&state, move |c| {
        escalation::set_rules(c, &user, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(saved))
}

/// GET /me/notifications
pub async fn notifications(state: web::Data<AppState>, me: CurrentUser) -> ApiResult {
    let id = me.0.user.id;
    let modes = run(&state, move |c| Ok(notification::modes(c, id)?)).await?;
    let body: serde_json::Map<String, Value> = modes
        .into_iter()
        .map(|(kind, mode)| (kind.to_string(), json!(mode.as_str())))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// PUT /me/notifications: {escalation?, assigned?, mention?} each immediately, hourly or off.
pub async fn set_notifications(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<serde_json::Map<String, Value>>,
) -> ApiResult {
    let id = me.0.user.id;
    let mut wanted = vec![];
    for (kind, value) in body.into_inner() {
        let known = notification::KINDS.iter().find(|k| **k == kind);
        let mode = value.as_str().and_then(Mode::parse);
        match (known, mode) {
            (Some(kind), Some(mode)) => wanted.push((*kind, mode)),
            _ => {
                return Err(AppError::invalid(
                    "mode",
                    "mode_invalid",
                    "escalation, assigned or mention: immediately, hourly or off",
                )
                .into());
            }
        }
    }
    run(&state, move |c| {
        crate::db::write_transaction(c, |c| {
            for (kind, mode) in &wanted {
                notification::set_mode(c, id, kind, *mode)?;
            }
            Ok(())
        })
    })
    .await?;
    notifications(state, me).await
}

#[derive(Deserialize)]
pub struct MailQuery {
    state: Option<String>,
}

/// GET /admin/mail?state=queued|retrying|failed|skipped|sent
pub async fn mail_queue(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: web::Query<MailQuery>,
) -> ApiResult {
    authz::site_admin(&me.0.user)?;
    let wanted = query.into_inner().state.unwrap_or_else(|| "failed".into());
    if !["queued", "retrying", "failed", "skipped", "sent"].contains(&wanted.as_str()) {
        return Err(AppError::invalid(
            "state",
            "state_invalid",
            "choose queued, retrying, failed, skipped or sent",
        )
        .into());
    }
    let rows = run(&state, move |c| Ok(outbox::by_state(c, &wanted, 200)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": rows })))
}

/// POST /admin/mail/{id}/retry
pub async fn retry_mail(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    authz::site_admin(&me.0.user)?;
    let id = OutboxEmailId(*id);
    let retried = run(&state, move |c| Ok(outbox::retry(c, id, now())?)).await?;
    if !retried {
        return Err(AppError::NotFound.into());
    }
    state.services.mail.wake();
    ok()
}
