//! The webhooks pages of a brand's admins: endpoints, a new one's secret shown once, the
//! delivery log with a redeliver button.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

use super::forms::{CsrfOnly, Pairs};
use super::page::{Page, PageResult};
use super::session::CurrentUser;
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::{DeliveryId, WebhookId};
use crate::service::webhook::{self, Created, EVENTS, WebhookInput};

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    me: CurrentUser,
    slug: String,
) -> Result<Page, super::errors::PageError> {
    let user = me.0.user;
    let (found, hooks) = state
        .services
        .db
        .run(move |c| webhook::list(c, &user, &slug))
        .await?;
    let mut page = Page::new(req, "webhooks.title").await?;
    page.insert("brand", &found);
    page.insert("webhooks", &hooks);
    page.insert("events", &EVENTS);
    page.insert(
        "form",
        &serde_json::json!({ "events": EVENTS, "format": "standard" }),
    );
    Ok(page)
}

/// GET /brands/{slug}/webhooks
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    list_page(&req, &state, me, slug.into_inner())
        .await?
        .render(&req, "staff/webhooks.html")
}

/// POST /brands/{slug}/webhooks: adds an endpoint and shows its secret, this once.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let pairs = Pairs::checked(&req, &state, &body)?;
    let input = WebhookInput {
        url: pairs.value("url"),
        events: pairs.all("events"),
        format: Some(pairs.value("format")),
    };
    let (slug, user) = (slug.into_inner(), me.0.user.clone());
    let created: Result<Created, AppError> = async {
        let url =
            crate::outbound::checked_url(input.url.clone(), state.config.webhook_allow_private)
                .await?;
        let (slug, input) = (slug.clone(), input.clone());
        state
            .services
            .db
            .run(move |c| webhook::create(c, &user, &slug, url, &input))
            .await
    }
    .await;
    let mut page = list_page(&req, &state, me, slug).await?;
    match created {
        Ok(created) => {
            page.insert("created", &created);
            page.render_with_status(&req, "staff/webhooks.html", StatusCode::CREATED)
        }
        Err(AppError::Validation(errors)) => {
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({ "url": input.url, "events": input.events,
                                                     "format": input.format }),
            );
            page.render_with_status(
                &req,
                "staff/webhooks.html",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /webhooks/{id}/delete
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: super::forms::CheckedForm<CsrfOnly>,
) -> PageResult {
    let (user, id) = (me.0.user, WebhookId(*id));
    let found = state
        .services
        .db
        .run(move |c| webhook::delete(c, &user, id))
        .await?;
    let to = format!("/brands/{}/webhooks", found.slug);
    super::page::redirect_with_flash(&req, &to, "success", "flash.webhook_removed")
}

/// GET /webhooks/{id}: the delivery log.
pub async fn log(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> PageResult {
    let (user, id) = (me.0.user, WebhookId(*id));
    let (found, hook, deliveries) = state
        .services
        .db
        .run(move |c| webhook::deliveries(c, &user, id))
        .await?;
    let mut page = Page::new(&req, "webhooks.log_title").await?;
    page.insert("brand", &found);
    page.insert("webhook", &hook);
    page.insert("deliveries", &deliveries);
    page.render(&req, "staff/webhook.html")
}

/// POST /webhooks/{id}/deliveries/{delivery_id}/redeliver
pub async fn redeliver(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, i64)>,
    _form: super::forms::CheckedForm<CsrfOnly>,
) -> PageResult {
    let (user, (id, delivery)) = (me.0.user, path.into_inner());
    let (id, delivery) = (WebhookId(id), DeliveryId(delivery));
    let to = format!("/webhooks/{}", id.0);
    act(&req, &state, &to, "flash.redelivery_queued", move |c| {
        webhook::redeliver(c, &user, id, delivery)
    })
    .await
}
