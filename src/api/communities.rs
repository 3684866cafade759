//! Brands, topics and replies in the API: the Brands and Topics sections of API.md.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{self, Paging};
use crate::app::AppState;
use crate::error::AppError;
use crate::model::brand::Brand;
use crate::model::topic::{Filter, Sort};
use crate::model::{ReplyId, TopicId, brand, topic};
use crate::service::brand::{self as brands, NewBrandInput};
use crate::service::topic::{self as topics, NewTopicInput};
use crate::service::{self, Services};
use crate::web::errors::ApiError;
use crate::web::session::{CurrentUser, MaybeUser};

type ApiResult = Result<HttpResponse, ApiError>;

fn brand_item(b: &Brand) -> Value {
    json!({
        "slug": b.slug, "name": b.name, "domain": b.domain, "claimed": b.claimed_at.is_some(),
        "topic_count": b.topic_count, "last_activity_at": json::time(b.last_activity_at),
    })
}

// serde_urlencoded cannot flatten numbers, so each query spells out page and per_page
#[derive(Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// GET /brands
pub async fn list_brands(
    state: web::Data<AppState>,
    query: web::Query<DirectoryQuery>,
) -> ApiResult {
    let query = query.into_inner();
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    let (q, limit, offset) = (
        query.q.chars().take(100).collect::<String>(),
        paging.per_page(),
        paging.offset(),
    );
    let (rows, total) = state
        .services
        .db
        .run(move |c| Ok(brand::directory(c, &q, limit, offset)?))
        .await?;
    Ok(HttpResponse::Ok().json(paging.wrap(rows.iter().map(brand_item).collect(), total)))
}

/// POST /brands
pub async fn create_brand(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<NewBrandInput>,
) -> ApiResult {
    let user = me.0.user;
    let input = body.into_inner();
    let created = state
        .services
        .db
        .run(move |c| brands::create(c, &user, &input))
        .await?;
    let slug = created.slug.clone();
    let view = state
        .services
        .db
        .run(move |c| brands::show(c, &slug))
        .await?;
    Ok(HttpResponse::Created().json(brand_json(&view)))
}

fn brand_json(view: &brands::BrandView) -> Value {
    json!({
        "slug": view.brand.slug, "name": view.brand.name, "domain": view.brand.domain,
        "description": view.brand.description, "claimed": view.claimed,
        "claimed_at": json::time_opt(view.brand.claimed_at),
        "products": view.products.iter().map(|p| json!({"slug": p.slug, "name": p.name})).collect::<Vec<_>>(),
        "stats": { "topic_count": view.brand.topic_count, "last_activity_at": json::time(view.brand.last_activity_at) },
        "notice": view.notice, "response_times": view.response_times,
    })
}

/// GET /brands/{slug}
pub async fn show_brand(state: web::Data<AppState>, slug: web::Path<String>) -> ApiResult {
    let view = state
        .services
        .db
        .run(move |c| brands::show(c, &slug))
        .await?;
    Ok(HttpResponse::Ok().json(brand_json(&view)))
}

#[derive(Deserialize)]
pub struct NewProduct {
    #[serde(default)]
    name: String,
    slug: Option<String>,
}

/// POST /brands/{slug}/products
pub async fn add_product(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<NewProduct>,
) -> ApiResult {
    let user = me.0.user;
    let body = body.into_inner();
    let product = state
        .services
        .db
        .run(move |c| brands::add_product(c, &user, &slug, &body.name, body.slug.as_deref()))
        .await?;
    Ok(HttpResponse::Created().json(json!({ "slug": product.slug, "name": product.name })))
}

/// POST and DELETE /brands/{slug}/follow
pub async fn follow_brand(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    req: actix_web::HttpRequest,
) -> ApiResult {
    let (user, on) = (me.0.user, req.method() != actix_web::http::Method::DELETE);
    state
        .services
        .db
        .run(move |c| brands::set_follow(c, &user, &slug, on))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct TopicQuery {
    kind: Option<String>,
    status: Option<String>,
    product: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The list filter from query parameters; unknown values are 422, not silently ignored.
pub fn topic_filter(
    c: &mut crate::db::DbConn,
    brand_slug: &str,
    kind: Option<&str>,
    status: Option<&str>,
    product: Option<&str>,
) -> Result<Filter, AppError> {
    let found = brand::find_by_slug(c, brand_slug)?;
    let mut filter = Filter {
        brand: Some(found.id),
        ..Filter::default()
    };
    if let Some(kind) = kind.filter(|k| !k.is_empty()) {
        crate::model::topic_status::Kind::parse(kind)
            .ok_or_else(|| AppError::invalid("kind", "kind_invalid", "unknown kind"))?;
        filter.kind = Some(kind.to_string());
    }
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        crate::model::topic_status::Status::parse(status)
            .ok_or_else(|| AppError::invalid("status", "status_invalid", "unknown status"))?;
        filter.status = Some(status.to_string());
    }
    if let Some(product) = product.filter(|p| !p.is_empty()) {
        let products = brand::products_of(c, found.id)?;
        let id = products.iter().find(|p| p.slug == product).map(|p| p.id);
        filter.product =
            Some(id.ok_or_else(|| {
                AppError::invalid("product", "product_invalid", "unknown product")
            })?);
    }
    Ok(filter)
}

pub fn parse_sort(text: Option<&str>) -> Result<Sort, AppError> {
    match text.filter(|s| !s.is_empty()) {
        None => Ok(Sort::Active),
        Some(s) => Sort::parse(s).ok_or_else(|| {
            AppError::invalid(
                "sort",
                "sort_invalid",
                "use recent, active, top or unanswered",
            )
        }),
    }
}

/// GET /brands/{slug}/topics
pub async fn list_topics(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<TopicQuery>,
) -> ApiResult {
    let query = query.into_inner();
    let sort = parse_sort(query.sort.as_deref())?;
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    let (limit, offset) = (paging.per_page(), paging.offset());
    let (kind, status, product) = (
        query.kind.clone(),
        query.status.clone(),
        query.product.clone(),
    );
    let (rows, total) = state
        .services
        .db
        .run(move |c| {
            let filter = topic_filter(
                c,
                &slug,
                kind.as_deref(),
                status.as_deref(),
                product.as_deref(),
            )?;
            Ok(topic::list(c, &filter, sort, limit, offset)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(paging.wrap(rows.iter().map(json::topic_summary).collect(), total)))
}

/// POST /brands/{slug}/topics
pub async fn create_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<NewTopicInput>,
) -> ApiResult {
    let user = me.0.user;
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let (input, author) = (body.into_inner(), user.clone());
    let created = state
        .services
        .db
        .run(move |c| topics::post(c, &user, &slug, &input))
        .await?;
    let shown = topic_json(&state.services, created.id, Some(author)).await?;
    Ok(HttpResponse::Created().json(shown))
}

async fn topic_json(
    s: &Services,
    id: TopicId,
    viewer: Option<crate::model::user::User>,
) -> Result<Value, AppError> {
    let page =
        s.db.run(move |c| topics::page(c, id, viewer.as_ref()))
            .await?;
    let author =
        json!({ "username": page.author.username, "display_name": page.author.display_name });
    let replies = page.replies.iter().map(json::reply).collect();
    let mut found = json::topic(&page.topic, &page.brand.slug, author, replies);
    let fields: serde_json::Map<String, Value> = page
        .fields
        .iter()
        .map(|f| (f.name.clone(), Value::from(f.value.as_str())))
        .collect();
    found["fields"] = Value::Object(fields);
    Ok(found)
}

/// GET /topics/{id}
pub async fn show_topic(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (viewer, id) = (viewer.0.map(|v| v.user), TopicId(*id));
    match topic_json(&state.services, id, viewer).await {
        Ok(found) => Ok(HttpResponse::Ok().json(found)),
        Err(AppError::NotFound) => {
            let merged = state
                .services
                .db
                .run(move |c| Ok(topic::find(c, id)?.duplicate_of))
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(HttpResponse::MovedPermanently()
                .insert_header(("Location", format!("/api/v1/topics/{merged}")))
                .finish())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct TopicEdit {
    title: Option<String>,
    body: Option<String>,
}

/// PATCH /topics/{id}
pub async fn edit_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<TopicEdit>,
) -> ApiResult {
    let (user, id, body) = (me.0.user, TopicId(*id), body.into_inner());
    state
        .services
        .db
        .run(move |c| topics::edit(c, &user, id, body.title.as_deref(), body.body.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(topic_json(&state.services, id, None).await?))
}

/// POST /topics/{id}/replies
pub async fn create_reply(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<topics::ReplyInput>,
) -> ApiResult {
    let user = me.0.user;
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let (id, input) = (TopicId(*id), body.into_inner());
    let created = state
        .services
        .db
        .run(move |c| topics::post_reply(c, &user, id, &input))
        .await?;
    match created {
        topics::Posted::Published(reply) => {
            state.services.mail.wake();
            Ok(HttpResponse::Created().json(json::reply(&reply)))
        }
        topics::Posted::Pending(id) => Ok(HttpResponse::Accepted()
            .json(serde_json::json!({ "pending_id": id, "state": "pending" }))),
    }
}

/// POST and DELETE /topics/{id}/me-too
pub async fn me_too(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    req: actix_web::HttpRequest,
) -> ApiResult {
    let (user, id, on) = (
        me.0.user,
        TopicId(*id),
        req.method() != actix_web::http::Method::DELETE,
    );
    let count = state
        .services
        .db
        .run(move |c| topics::set_me_too(c, &user, id, on))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "me_too_count": count })))
}

/// POST /replies/{id}/helpful
pub async fn helpful(state: web::Data<AppState>, me: CurrentUser, id: web::Path<i64>) -> ApiResult {
    let (user, id) = (me.0.user, ReplyId(*id));
    let count = state
        .services
        .db
        .run(move |c| topics::mark_helpful(c, &user, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "helpful_count": count })))
}

#[derive(Deserialize)]
pub struct AcceptBody {
    reply_id: Option<i64>,
}

/// POST /topics/{id}/accept
pub async fn accept(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<AcceptBody>,
) -> ApiResult {
    let (user, id) = (me.0.user, TopicId(*id));
    let reply = body
        .reply_id
        .map(ReplyId)
        .ok_or_else(|| AppError::invalid("reply_id", "required", "is required"))?;
    let updated = state
        .services
        .db
        .run(move |c| topics::accept(c, &user, id, reply))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": updated.id, "status": updated.status, "accepted_reply_id": updated.accepted_reply_id })))
}

/// POST and DELETE /topics/{id}/follow
pub async fn follow_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    req: actix_web::HttpRequest,
) -> ApiResult {
    let (user, id, on) = (
        me.0.user,
        TopicId(*id),
        req.method() != actix_web::http::Method::DELETE,
    );
    state
        .services
        .db
        .run(move |c| topics::set_follow(c, &user, id, on))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
