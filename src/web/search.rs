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
        .services
        .db
        .run(move |c| search::search(c, &index, &searched))
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
