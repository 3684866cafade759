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
    let found = run(&state, move |c| search::search(c, &index, &input)).await?;
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
    let items = run(&state, move |c| search::similar(c, &index, &slug, &title)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
