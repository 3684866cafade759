//! The feedback widget's panel (a page other sites may frame, if the brand lists them), its
//! loader script's stable address, and the admins' list of allowed sites.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::assets::Assets;
use super::forms::CheckedForm;
use super::page::{Page, PageResult};
use super::session::{CurrentUser, MaybeUser};
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic_status::Kind;
use crate::service::topic::{self as topics, NewTopicInput};
use crate::service::widget::{self, OriginsInput};

/// Put in a response's extensions: the sites that may frame it (the security headers then
/// name them in frame-ancestors instead of refusing every frame).
#[derive(Clone)]
pub struct FrameAncestors(pub Vec<String>);

#[derive(Deserialize)]
pub struct PanelQuery {
    #[serde(default)]
    q: String,
    /// The title of the page the widget sits on.
    #[serde(default)]
    title: String,
}

async fn panel_page(
    req: &HttpRequest,
    state: &AppState,
    slug: String,
    q: String,
    title: String,
) -> Result<(Page, Vec<String>), super::errors::PageError> {
    let index = state.search.clone();
    let (query, page_title) = (q.clone(), title.clone());
    let panel = state
        .services
        .db
        .run(move |c| widget::panel(c, &index, &slug, &query, &page_title))
        .await?;
    let mut page = Page::new(req, "widget.title").await?;
    page.insert("brand", &panel.brand);
    page.insert("results", &panel.results);
    page.insert("related", &panel.related);
    page.insert("sign_in", &panel.sign_in);
    page.insert("q", &q);
    page.insert("page_title", &title);
    page.insert("kinds", &Kind::ALL.map(Kind::as_str));
    Ok((page, panel.origins))
}

fn framed(mut response: HttpResponse, origins: Vec<String>) -> HttpResponse {
    response.extensions_mut().insert(FrameAncestors(origins));
    response
}

/// GET /brands/{slug}/widget
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _viewer: MaybeUser,
    slug: web::Path<String>,
    query: web::Query<PanelQuery>,
) -> PageResult {
    let query = query.into_inner();
    let (page, origins) = panel_page(&req, &state, slug.into_inner(), query.q, query.title).await?;
    Ok(framed(page.render(&req, "widget.html")?, origins))
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// POST /brands/{slug}/widget: a question asked in the panel; the answer stays in the panel.
pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<AskForm>,
) -> PageResult {
    let (user, slug, form) = (me.0.user, slug.into_inner(), form.0);
    crate::authz::may_post(&user)?;
    crate::service::count_post(&state.services, &user).await?;
    let input = NewTopicInput {
        kind: form.kind.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
        ..Default::default()
    };
    let target = slug.clone();
    let posted = state
        .services
        .db
        .run(move |c| topics::post(c, &user, &target, &input))
        .await;
    let (mut page, origins) =
        panel_page(&req, &state, slug.clone(), String::new(), String::new()).await?;
    let status = match posted {
        Ok(created) => {
            let url = super::topics::topic_url(&slug, created.id, &created.title);
            page.insert(
                "posted",
                &serde_json::json!({ "title": created.title, "url": url }),
            );
            StatusCode::CREATED
        }
        Err(AppError::Validation(errors)) => {
            page.insert_errors(&errors);
            page.insert(
                "form",
                &serde_json::json!({ "kind": form.kind, "title": form.title, "body": form.body }),
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(other) => return Err(other.into()),
    };
    Ok(framed(
        page.render_with_status(&req, "widget.html", status)?,
        origins,
    ))
}

/// GET /widget.js: the loader's stable address, for the script tag a brand pastes.
pub async fn loader(assets: web::Data<Assets>) -> HttpResponse {
    match assets.url("widget.js") {
        Some(url) => HttpResponse::Found()
            .insert_header(("location", url))
            .insert_header(("cache-control", "public, max-age=300"))
            .finish(),
        None => HttpResponse::NotFound().finish(),
    }
}

/// POST /brands/{slug}/team/widget: the sites allowed to embed it, one per line.
pub async fn set_origins(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<OriginsForm>,
) -> PageResult {
    let (user, slug) = (me.0.user, slug.into_inner());
    let to = format!("/brands/{slug}/team#widget");
    let input = OriginsInput {
        origins: form.0.origins.lines().map(String::from).collect(),
    };
    act(&req, &state, &to, "flash.settings_saved", move |c| {
        widget::set_origins(c, &user, &slug, &input).map(drop)
    })
    .await
}

#[derive(Deserialize)]
pub struct OriginsForm {
    #[serde(default)]
    origins: String,
}
