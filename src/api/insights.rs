//! Insights as JSON: a brand's figures for its staff, the site's for site admins, and the
//! brand champions its admins grant.

use actix_web::{HttpResponse, web};

use super::staff::run;
use crate::app::AppState;
use crate::service::insights;
use crate::web::errors::ApiError;
use crate::web::insights::InsightsQuery;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

/// GET /brands/{slug}/insights
pub async fn brand(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<InsightsQuery>,
) -> ApiResult {
    let period = query.period()?;
    let (user, rule, product) = (me.0.user, state.services.points, query.product.clone());
    let db = &state.services.db;
    let found = insights::of_brand(db, user, slug.into_inner(), product, period, rule).await?;
    let mut body = serde_json::to_value(&found.insights)
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    body["brand"] = found.brand.slug.into();
    body["product"] = found.product.map(|p| p.slug).into();
    Ok(HttpResponse::Ok().json(body))
}

/// GET /admin/insights
pub async fn site(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: web::Query<InsightsQuery>,
) -> ApiResult {
    let period = query.period()?;
    let (user, rule) = (me.0.user, state.services.points);
    let found = insights::of_site(&state.services.db, &user, period, rule).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// PUT (grant) or DELETE (remove) /brands/{slug}/champions/{username}
pub async fn champion(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let ((slug, username), user) = (path.into_inner(), me.0.user);
    let grant = req.method() == actix_web::http::Method::PUT;
    run(&state, move |c| {
        insights::set_champion(c, &user, &slug, &username, grant)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
