//! Single sign-on: the site admin's OpenID Connect providers and the provider a brand links.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::staff::run;
use crate::app::AppState;
use crate::model::ProviderId;
use crate::model::oidc::{BrandLink, Provider};
use crate::service::sso::{self, BrandLinkInput, ProviderInput};
use crate::web::errors::ApiError;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

/// A provider as the API shows it: never its client secret.
fn provider_json(state: &AppState, p: &Provider) -> serde_json::Value {
    json!({
        "id": p.id,
        "name": p.name,
        "issuer": p.issuer,
        "client_id": p.client_id,
        "scopes": p.scopes,
        "redirect_uri": sso::callback_url(&state.base_url, p.id),
        "created_at": p.created_at,
    })
}

/// GET /admin/oidc-providers (site admins)
pub async fn list(state: web::Data<AppState>, me: CurrentUser) -> ApiResult {
    let user = me.0.user;
    let found = run(&state, move |c| sso::providers(c, &user)).await?;
    let items: Vec<_> = found.iter().map(|p| provider_json(&state, p)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// POST /admin/oidc-providers (site admins): 201 once discovery works.
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<ProviderInput>,
) -> ApiResult {
    let allow_private = state.config.webhook_allow_private;
    let created = sso::add_provider(
        &state.services,
        &state.outbound,
        allow_private,
        &me.0.user,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(provider_json(&state, &created)))
}

/// DELETE /admin/oidc-providers/{id}
pub async fn delete(state: web::Data<AppState>, me: CurrentUser, id: web::Path<i64>) -> ApiResult {
    let (user, id) = (me.0.user, ProviderId(*id));
    run(&state, move |c| sso::delete_provider(c, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn link_json(link: Option<&BrandLink>) -> serde_json::Value {
    json!({
        "provider_id": link.map(|l| l.provider_id),
        "provider_name": link.map(|l| l.provider_name.as_str()),
        "staff_only": link.is_some_and(|l| l.staff_only),
    })
}

/// GET /brands/{slug}/sso (brand admins)
pub async fn brand_link(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let (_, link, _) = run(&state, move |c| sso::brand_link(c, &user, &slug)).await?;
    Ok(HttpResponse::Ok().json(link_json(link.as_ref())))
}

/// PUT /brands/{slug}/sso (brand admins): {provider_id: id or null, staff_only}
pub async fn set_brand_link(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<BrandLinkInput>,
) -> ApiResult {
    let (user, mine, slug) = (me.0.user, me.0.session.provider_id, slug.into_inner());
    let input = body.into_inner();
    let link = run(&state, move |c| {
        sso::set_brand_link(c, &user, mine, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(link_json(link.as_ref())))
}
