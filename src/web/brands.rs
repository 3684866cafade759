//! Brand pages: the directory on the home page, starting a community, a brand's topic
//! lists, following a brand, and asking.

use super::forms::CheckedForm;
use super::forms::OnOffForm;
use super::lists::{PER_PAGE, encode, pager, summaries};
use super::page::PageResult;
use super::page::{Page, redirect, redirect_with_flash};
use super::page_cache;
use super::session::{CurrentUser, MaybeUser};
use super::topics::topic_url;
use crate::api::communities::{parse_sort, topic_filter};
use crate::app::AppState;
use crate::error::AppError;
use crate::model::brand;
use crate::model::field::Field;
use crate::model::topic::{self, Filter, Sort};
use crate::model::topic_status::{Feeling, Kind};
use crate::service;
use crate::service::brand::{self as brands, NewBrandInput};
use crate::service::topic::{self as topics, NewTopicInput};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

/// GET /: the brand directory, filtered by name and sorted by activity, and recent topics.
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> PageResult {
    page_cache::serve(&req, &state, || {
        render_home(req.clone(), state.clone(), query)
    })
    .await
}

async fn render_home(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> PageResult {
    let q: String = query.q.trim().chars().take(100).collect();
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let needle = q.clone();
    let (brands_found, total, recent) = state
        .services
        .db
        .run(move |c| {
            let (rows, total) = brand::directory(c, &needle, PER_PAGE, (page_no - 1) * PER_PAGE)?;
            let recent = topic::list_page(c, &Filter::default(), Sort::Active, 10, 0)?;
            Ok((rows, total, recent))
        })
        .await?;
    let mut page = Page::new(&req, "home.title").await?;
    page.insert("pager_base", &format!("/?q={}&", encode(&q)));
    page.insert("q", &q);
    page.insert("brands", &brands_found);
    page.insert("pager", &pager(page_no, total));
    page.insert("recent", &summaries(&recent));
    page.render(&req, "home.html")
}

pub async fn show_new_brand(req: HttpRequest, _me: CurrentUser) -> PageResult {
    let mut page = Page::new(&req, "brand_new.title").await?;
    page.insert("form", &serde_json::json!({}));
    page.render(&req, "brands/new.html")
}

#[derive(Deserialize)]
pub struct NewBrandForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    products: String,
}

pub async fn create_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<NewBrandForm>,
) -> PageResult {
    let form = form.0;
    let input = NewBrandInput {
        name: form.name.clone(),
        slug: Some(form.slug.clone()),
        domain: Some(form.domain.clone()),
        description: Some(form.description.clone()),
        products: form.products.lines().map(str::to_string).collect(),
    };
    let user = me.0.user;
    let outcome = state
        .services
        .db
        .run(move |c| brands::create(c, &user, &input))
        .await;
    match outcome {
        Ok(created) => redirect_with_flash(
            &req,
            &format!("/brands/{}", created.slug),
            "success",
            "flash.brand_created",
        ),
        Err(AppError::Validation(errors) | AppError::Taken(errors)) => {
            let mut page = Page::new(&req, "brand_new.title").await?;
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({
                    "name": form.name, "slug": form.slug, "domain": form.domain,
                    "description": form.description, "products": form.products,
                }),
            );
            page.render_with_status(&req, "brands/new.html", StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct BrandQuery {
    kind: Option<String>,
    status: Option<String>,
    product: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

/// GET /brands/{slug}: tabs by kind, filters, sorts, pages.
pub async fn show_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    slug: web::Path<String>,
    query: web::Query<BrandQuery>,
) -> PageResult {
    let render = || render_brand(req.clone(), state.clone(), viewer, slug, query);
    page_cache::serve(&req, &state, render).await
}

async fn render_brand(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: MaybeUser,
    slug: web::Path<String>,
    query: web::Query<BrandQuery>,
) -> PageResult {
    let query = query.into_inner();
    let sort = parse_sort(query.sort.as_deref())?;
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let (kind, status, product) = (
        query.kind.clone(),
        query.status.clone(),
        query.product.clone(),
    );
    let viewer_id = viewer.0.as_ref().map(|v| v.user.id);
    let slug = slug.into_inner();
    let (view, rows, total, following) = state
        .services
        .db
        .run(move |c| {
            let view = brands::show(c, &slug)?;
            let filter = topic_filter(
                c,
                &slug,
                kind.as_deref(),
                status.as_deref(),
                product.as_deref(),
            )?;
            let (rows, total) = topic::list(c, &filter, sort, PER_PAGE, (page_no - 1) * PER_PAGE)?;
            let following = match viewer_id {
                Some(id) => brand::follows(c, view.brand.id, id)?,
                None => false,
            };
            Ok((view, rows, total, following))
        })
        .await?;
    let access = super::staff::viewer_access(&state, &viewer, view.brand.id).await?;
    let mut page = Page::new(&req, "brand.title").await?;
    page.insert("access", &access);
    let statuses: Vec<&str> = match query.kind.as_deref().and_then(Kind::parse) {
        Some(kind) => kind.statuses().iter().map(|s| s.as_str()).collect(),
        None => vec!["open", "answered", "solved", "implemented", "closed"],
    };
    page.insert("brand", &view);
    page.insert("topics", &summaries(&rows));
    page.insert("pager", &pager(page_no, total));
    page.insert("total", &total);
    page.insert("following", &following);
    page.insert("statuses", &statuses);
    page.insert("sorts", &Sort::ALL.map(Sort::as_str));
    page.insert(
        "filter",
        &serde_json::json!({
            "kind": query.kind.unwrap_or_default(), "status": query.status.unwrap_or_default(),
            "product": query.product.unwrap_or_default(), "sort": sort.as_str(),
        }),
    );
    page.render(&req, "brands/show.html")
}

pub async fn follow_brand(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<OnOffForm>,
) -> PageResult {
    let (user, on, slug) = (me.0.user, form.0.on == "1", slug.into_inner());
    let target = format!("/brands/{slug}");
    state
        .services
        .db
        .run(move |c| brands::set_follow(c, &user, &slug, on))
        .await?;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
pub struct AskQuery {
    kind: Option<String>,
}

pub async fn show_ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    _me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<AskQuery>,
) -> PageResult {
    let slug = slug.into_inner();
    let view = state
        .services
        .db
        .run(move |c| brands::ask_view(c, &slug))
        .await?;
    let kind = query
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Question);
    ask_page(
        &req,
        &view,
        &serde_json::json!({ "kind": kind.as_str() }),
        &[],
        StatusCode::OK,
    )
    .await
}

async fn ask_page(
    req: &HttpRequest,
    view: &brands::AskView,
    form: &serde_json::Value,
    errors: &[crate::error::FieldError],
    status: StatusCode,
) -> PageResult {
    ask_page_with(req, view, form, errors, status, None).await
}

async fn ask_page_with(
    req: &HttpRequest,
    view: &brands::AskView,
    form: &serde_json::Value,
    errors: &[crate::error::FieldError],
    status: StatusCode,
    similar: Option<&[crate::service::search::Item]>,
) -> PageResult {
    let mut page = Page::new(req, "ask.title").await?;
    page.insert("similar", &similar.unwrap_or_default());
    page.insert("checked", &similar.is_some());
    page.insert("brand", &view.brand);
    page.insert("field_groups", &field_groups(&view.fields, form));
    page.insert("form", form);
    page.insert("kinds", &Kind::ALL.map(Kind::as_str));
    page.insert(
        "feelings",
        &Feeling::ALL.map(|f| serde_json::json!({ "name": f.as_str(), "face": f.face() })),
    );
    page.insert_errors(errors);
    page.render_with_status(req, "brands/ask.html", status)
}

/// The brand's extra fields by kind, for the kinds that have any, with what was typed.
fn field_groups(fields: &[Field], form: &serde_json::Value) -> Vec<serde_json::Value> {
    Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .filter(|k| fields.iter().any(|f| f.kind == *k))
        .map(|kind| {
            let of_kind: Vec<serde_json::Value> = fields
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| {
                    let input = format!("field.{kind}.{}", f.name);
                    let value = form["fields"][&input].as_str().unwrap_or("");
                    serde_json::json!({ "field": f, "input": input, "value": value })
                })
                .collect();
            serde_json::json!({ "kind": kind, "fields": of_kind })
        })
        .collect()
}

/// The values typed for `kind`'s fields (inputs named field.KIND.NAME), by name.
fn typed_fields(extra: &HashMap<String, String>, kind: &str) -> BTreeMap<String, String> {
    let prefix = format!("field.{kind}.");
    extra
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
        .collect()
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    feeling: String,
    /// "check": show similar topics instead of posting (the page without JavaScript).
    #[serde(default)]
    step: String,
    /// The brand's extra fields, field.KIND.NAME.
    #[serde(flatten)]
    extra: HashMap<String, String>,
}

pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<AskForm>,
) -> PageResult {
    let form = form.0;
    let user = me.0.user;
    if form.step == "check" {
        let (slug, title, index) = (slug.into_inner(), form.title.clone(), state.search.clone());
        let (view, similar) = state
            .search_in_turn(move |c| {
                let similar = crate::service::search::similar(c, &index, &slug, &title)?;
                Ok((brands::ask_view(c, &slug)?, similar))
            })
            .await?;
        let values = serde_json::json!({
            "kind": form.kind, "title": form.title, "body": form.body, "product": form.product, "feeling": form.feeling,
            "fields": form.extra,
        });
        return ask_page_with(&req, &view, &values, &[], StatusCode::OK, Some(&similar)).await;
    }
    crate::authz::may_post(&user)?;
    service::count_post(&state.services, &user).await?;
    let input = NewTopicInput {
        kind: form.kind.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
        product: Some(form.product.clone()),
        feeling: Some(form.feeling.clone()),
        fields: typed_fields(&form.extra, form.kind.trim()),
    };
    let brand_slug = slug.into_inner();
    let target = brand_slug.clone();
    match state
        .services
        .db
        .run(move |c| topics::post(c, &user, &target, &input))
        .await
    {
        Ok(created) => redirect_with_flash(
            &req,
            &topic_url(&brand_slug, created.id, &created.title),
            "success",
            "flash.topic_posted",
        ),
        Err(AppError::Validation(errors)) => {
            let view = state
                .services
                .db
                .run(move |c| brands::ask_view(c, &brand_slug))
                .await?;
            let values = serde_json::json!({
                "kind": form.kind, "title": form.title, "body": form.body, "product": form.product, "feeling": form.feeling,
                "fields": form.extra,
            });
            ask_page(
                &req,
                &view,
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
