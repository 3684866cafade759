//! Search in the API: GET /search and GET /brands/{slug}/similar.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::staff::run;
use crate::app::AppState;
use crate::service::search::{self, SearchInput};
use crate::web::errors::ApiError;

type ApiResult = Result<HttpResponse, ApiError>;

/// GET /search
pub async fn search(state: web::Data<AppState>, query: web::Query<SearchInput>) -> ApiResult {
    let (input, index) = (query.into_inner(), state.search.clone());
    let found = state
        .search_in_turn(move |c| search::search(c, &index, &input))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

#[derive(Deserialize)]
pub struct SimilarQuery {
    #[serde(default)]
    title: String,
}

/// GET /brands/{slug}/similar?title=
pub async fn similar(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SimilarQuery>,
) -> ApiResult {
    let (title, index) = (query.into_inner().title, state.search.clone());
    let items = state
        .search_in_turn(move |c| search::similar(c, &index, &slug, &title))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

fn monitor_json(m: &crate::model::monitor::Monitor) -> serde_json::Value {
    json!({ "id": m.id, "query": m.query, "notify": m.notify,
            "created_at": super::json::time(m.created_at) })
}

/// GET /brands/{slug}/monitors
pub async fn list_monitors(
    state: web::Data<AppState>,
    me: crate::web::session::CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let user = me.0.user;
    let (_, rows) = run(&state, move |c| {
        crate::service::monitor::list(c, &user, &slug)
    })
    .await?;
    let items: Vec<serde_json::Value> = rows.iter().map(monitor_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct MonitorBody {
    #[serde(default)]
    query: String,
    #[serde(default = "email")]
    notify: String,
}

fn email() -> String {
    "email".into()
}

/// POST /brands/{slug}/monitors
pub async fn create_monitor(
    state: web::Data<AppState>,
    me: crate::web::session::CurrentUser,
    slug: web::Path<String>,
    body: web::Json<MonitorBody>,
) -> ApiResult {
    let user = me.0.user;
    let created = run(&state, move |c| {
        crate::service::monitor::create(c, &user, &slug, &body.query, &body.notify)
    })
    .await?;
    Ok(HttpResponse::Created().json(monitor_json(&created)))
}

/// DELETE /monitors/{id}
pub async fn delete_monitor(
    state: web::Data<AppState>,
    me: crate::web::session::CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, crate::model::MonitorId(*id));
    run(&state, move |c| {
        crate::service::monitor::delete(c, &user, id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /monitors/{id}/matches
pub async fn monitor_matches(
    state: web::Data<AppState>,
    me: crate::web::session::CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, crate::model::MonitorId(*id));
    let (_, _, rows) = run(&state, move |c| {
        crate::service::monitor::matches(c, &user, id)
    })
    .await?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|m| {
            json!({ "topic_id": m.topic_id, "title": m.title, "kind": m.kind, "brand": m.brand_slug,
                    "matched_at": super::json::time(m.matched_at) })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
