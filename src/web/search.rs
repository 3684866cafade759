//! The search page: results with snippets, facets as filter chips, pages.

use actix_web::{HttpRequest, web};

use super::page::{Page, PageResult};
use crate::app::AppState;
use crate::service::search::{self, SearchInput};

/// GET /search?q=&brand=&kind=&status=&sort=&page=
pub async fn show_search(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchInput>,
) -> PageResult {
    let input = query.into_inner();
    let (searched, index) = (input.clone(), state.search.clone());
    let found = state
        .search_in_turn(move |c| search::search(c, &index, &searched))
        .await?;
    let mut page = Page::new(&req, "search.title").await?;
    let pages = found.total.div_ceil(found.per_page as usize).max(1) as i64;
    let base = |extra: &[(&str, &str)]| {
        let mut pairs: Vec<(&str, String)> = vec![("q", input.q.clone())];
        for (name, value) in [
            ("brand", &input.brand),
            ("kind", &input.kind),
            ("status", &input.status),
            ("sort", &input.sort),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty())
                && !extra.iter().any(|(n, _)| *n == name)
            {
                pairs.push((name, v.clone()));
            }
        }
        for (name, value) in extra {
            if !value.is_empty() {
                pairs.push((name, value.to_string()));
            }
        }
        format!(
            "/search?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let chips = |field: &str, counts: &std::collections::BTreeMap<String, u64>| {
        counts
            .iter()
            .map(|(value, n)| {
                serde_json::json!({ "value": value, "count": n, "url": base(&[(field, value)]) })
            })
            .collect::<Vec<_>>()
    };
    page.insert("form", &serde_json::json!({ "q": input.q }));
    page.insert("items", &found.items);
    page.insert("total", &found.total);
    page.insert("brands", &chips("brand", &found.facets.brand));
    page.insert("kinds", &chips("kind", &found.facets.kind));
    page.insert("statuses", &chips("status", &found.facets.status));
    page.insert(
        "clear",
        &format!(
            "/search?{}",
            serde_urlencoded::to_string([("q", &input.q)]).unwrap_or_default()
        ),
    );
    page.insert("brand_filter", &input.brand);
    page.insert("newest_url", &base(&[("sort", "newest")]));
    page.insert("relevance_url", &base(&[("sort", "relevance")]));
    page.insert(
        "sort",
        &input.sort.clone().unwrap_or_else(|| "relevance".into()),
    );
    page.insert(
        "pager",
        &serde_json::json!({
            "page": found.page, "pages": pages,
            "prev": (found.page > 1).then(|| base(&[("page", &(found.page - 1).to_string())])),
            "next": (found.page < pages).then(|| base(&[("page", &(found.page + 1).to_string())])),
        }),
    );
    page.render(&req, "search.html")
}

/// GET /brands/{slug}/monitors
pub async fn show_monitors(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: super::session::CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, rows) = state
        .services
        .db
        .run(move |c| crate::service::monitor::list(c, &user, &slug))
        .await?;
    let mut page = Page::new(&req, "monitors.title").await?;
    page.insert("brand", &found);
    page.insert("monitors", &rows);
    page.render(&req, "staff/monitors.html")
}

#[derive(serde::Deserialize)]
pub struct MonitorForm {
    #[serde(default)]
    query: String,
    #[serde(default)]
    notify: String,
    #[serde(default)]
    delete: Option<i64>,
}

/// POST /brands/{slug}/monitors: add one, or delete one.
pub async fn change_monitors(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: super::session::CurrentUser,
    slug: web::Path<String>,
    form: super::forms::CheckedForm<MonitorForm>,
) -> PageResult {
    let (slug, user, form) = (slug.into_inner(), me.0.user, form.0);
    let url = format!("/brands/{slug}/monitors");
    super::staff::act(
        &req,
        &state,
        &url,
        "flash.settings_saved",
        move |c| match form.delete {
            Some(id) => crate::service::monitor::delete(c, &user, crate::model::MonitorId(id)),
            None => crate::service::monitor::create(c, &user, &slug, &form.query, &form.notify)
                .map(drop),
        },
    )
    .await
}

/// GET /brands/{slug}/monitors/{id}
pub async fn show_monitor(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: super::session::CurrentUser,
    path: web::Path<(String, i64)>,
) -> PageResult {
    let ((slug, id), user) = (path.into_inner(), me.0.user);
    let (found, monitor, rows) = state
        .services
        .db
        .run(move |c| crate::service::monitor::matches(c, &user, crate::model::MonitorId(id)))
        .await?;
    if found.slug != slug {
        return Err(crate::error::AppError::NotFound.into());
    }
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|m| {
            serde_json::json!({ "m": m, "url": super::topics::topic_url(&m.brand_slug, m.topic_id, &m.title) })
        })
        .collect();
    let mut page = Page::new(&req, "monitors.title").await?;
    page.insert("brand", &found);
    page.insert("monitor", &monitor);
    page.insert("rows", &rows);
    page.render(&req, "staff/monitor.html")
}
