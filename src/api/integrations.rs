//! Integrations: a brand's webhook endpoints, their delivery log and redelivery; replies
//! by email from an HTTP mail relay; the extra fields a brand asks for; external feeds and
//! the voices inbox.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::staff::run;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::{DeliveryId, FeedId, FieldId, VoiceId, WebhookId, webhook::Delivery};
use crate::service::field::{self, FieldInput};
use crate::service::mail_in;
use crate::service::voice::{self, ToTopicInput};
use crate::service::webhook::{self, WebhookInput};
use crate::service::widget::{self, OriginsInput};
use crate::web::errors::ApiError;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

/// GET /brands/{slug}/webhooks (brand admins)
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (_, hooks) = run(&state, move |c| webhook::list(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": hooks })))
}

/// POST /brands/{slug}/webhooks (brand admins): 201 with the secret, shown this once.
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<WebhookInput>,
) -> ApiResult {
    let (user, slug, input) = (me.0.user, slug.into_inner(), body.into_inner());
    let url =
        crate::outbound::checked_url(input.url.clone(), state.config.webhook_allow_private).await?;
    let created = run(&state, move |c| {
        webhook::create(c, &user, &slug, url, &input)
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// DELETE /webhooks/{id}
pub async fn delete(state: web::Data<AppState>, me: CurrentUser, id: web::Path<i64>) -> ApiResult {
    let (user, id) = (me.0.user, WebhookId(*id));
    run(&state, move |c| webhook::delete(c, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn delivery_json(d: &Delivery) -> serde_json::Value {
    json!({
        "id": d.id,
        "message_id": d.message_id,
        "event": d.event,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "next_attempt_at": (d.status == "pending").then_some(d.next_attempt_at),
        "delivered_at": d.delivered_at,
    })
}

/// GET /webhooks/{id}/deliveries: the latest 100, newest first.
pub async fn deliveries(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, WebhookId(*id));
    let (_, _, log) = run(&state, move |c| webhook::deliveries(c, &user, id)).await?;
    let items: Vec<_> = log.iter().map(delivery_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// POST /webhooks/{id}/deliveries/{delivery_id}/redeliver: 202, sent again soon.
pub async fn redeliver(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult {
    let (user, (id, delivery)) = (me.0.user, path.into_inner());
    let (id, delivery) = (WebhookId(id), DeliveryId(delivery));
    run(&state, move |c| webhook::redeliver(c, &user, id, delivery)).await?;
    state.services.mail.wake();
    Ok(HttpResponse::Accepted().json(json!({ "ok": true })))
}

/// POST /mail/inbound: one raw message (message/rfc822) from an HTTP mail relay that sends
/// the shared secret in X-Kotae-Inbound-Secret; 202 with what became of it.
pub async fn inbound_mail(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> ApiResult {
    let Some(secret) = state.config.inbound_secret.as_deref() else {
        return Err(AppError::NotFound.into());
    };
    let given = req
        .headers()
        .get("x-kotae-inbound-secret")
        .map_or(&b""[..], |v| v.as_bytes());
    // compared as digests: the time taken says nothing about the secret
    if Sha256::digest(given) != Sha256::digest(secret.as_bytes()) {
        return Err(AppError::Forbidden.into());
    }
    let mail = state.services.mail.clone();
    let outcome = run(&state, move |c| mail_in::receive(c, &mail, &body)).await?;
    state.services.mail.wake();
    Ok(HttpResponse::Accepted().json(outcome))
}

/// GET /brands/{slug}/fields: what the brand asks for, per kind (anyone).
pub async fn list_fields(state: web::Data<AppState>, slug: web::Path<String>) -> ApiResult {
    let slug = slug.into_inner();
    let (_, fields) = run(&state, move |c| field::list(c, &slug)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": fields })))
}

/// POST /brands/{slug}/fields (brand admins)
pub async fn create_field(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<FieldInput>,
) -> ApiResult {
    let (user, slug, input) = (me.0.user, slug.into_inner(), body.into_inner());
    let created = run(&state, move |c| field::create(c, &user, &slug, &input)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// DELETE /fields/{id} (brand admins): the field and every topic's value of it.
pub async fn delete_field(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, FieldId(*id));
    run(&state, move |c| field::delete(c, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(serde::Deserialize)]
pub struct FeedBody {
    #[serde(default)]
    url: String,
}

/// GET /brands/{slug}/feeds (brand staff)
pub async fn list_feeds(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (_, feeds) = run(&state, move |c| voice::feeds(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": feeds })))
}

/// POST /brands/{slug}/feeds (brand staff): 201, and it is read at once.
pub async fn add_feed(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<FeedBody>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let url =
        crate::outbound::checked_url(body.into_inner().url, state.config.webhook_allow_private)
            .await?;
    let added = run(&state, move |c| voice::add_feed(c, &user, &slug, url)).await?;
    Ok(HttpResponse::Created().json(added))
}

/// DELETE /feeds/{id} (brand staff)
pub async fn delete_feed(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, FeedId(*id));
    run(&state, move |c| voice::delete_feed(c, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(serde::Deserialize)]
pub struct InboxQuery {
    state: Option<String>,
}

/// GET /brands/{slug}/voices?state=new|done (brand staff)
pub async fn voices(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<InboxQuery>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let wanted = query.into_inner().state.unwrap_or_default();
    let (_, items) = run(&state, move |c| voice::inbox(c, &user, &slug, &wanted)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// POST /voices/{id}/topic (brand staff): 201 with the new topic.
pub async fn voice_to_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: Option<web::Json<ToTopicInput>>,
) -> ApiResult {
    let (user, id) = (me.0.user, VoiceId(*id));
    let input = body.map(web::Json::into_inner).unwrap_or_default();
    let (found_brand, created) =
        run(&state, move |c| voice::to_topic(c, &user, id, &input)).await?;
    let url = crate::web::topics::topic_url(&found_brand.slug, created.id, &created.title);
    Ok(HttpResponse::Created().json(
        json!({ "id": created.id, "title": created.title, "kind": created.kind, "url": url }),
    ))
}

/// POST /voices/{id}/dismiss (brand staff)
pub async fn dismiss_voice(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, VoiceId(*id));
    let done = run(&state, move |c| voice::dismiss(c, &user, id)).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// GET /brands/{slug}/widget (brand staff): the sites allowed to embed it, and the tag.
pub async fn widget_settings(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (found, origins) = run(&state, move |c| widget::origins(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "origins": origins, "snippet": snippet(&state, &found.slug) })))
}

/// PUT /brands/{slug}/widget (brand admins): {origins: ["https://www.example.com"]}
pub async fn set_widget_origins(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<OriginsInput>,
) -> ApiResult {
    let (user, slug, input) = (me.0.user, slug.into_inner(), body.into_inner());
    let shown = slug.clone();
    let origins = run(&state, move |c| {
        widget::set_origins(c, &user, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "origins": origins, "snippet": snippet(&state, &shown) })))
}

/// The tag a brand pastes into its pages.
pub fn snippet(state: &AppState, slug: &str) -> String {
    format!(
        "<script src=\"{}/widget.js\" data-brand=\"{slug}\" async></script>",
        state.base_url
    )
}
