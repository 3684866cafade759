//! Atom feeds of a brand's topics and of a topic's replies, and the unsubscribe link of
//! follower mail.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::errors::PageError;
use super::page::{Page, redirect_with_flash};
use super::topics::topic_url;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic::{Filter, Sort};
use crate::model::{TopicId, brand, reply, topic};

const ENTRIES: i64 = 30;

fn atom(
    state: &AppState,
    template: &str,
    context: &tera::Context,
) -> Result<HttpResponse, PageError> {
    let xml = state
        .tera
        .render(template, context)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("feed {template}: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml))
}

fn time(at: chrono::NaiveDateTime) -> String {
    crate::api::json::time(at)
}

/// GET /brands/{slug}/feed.atom: the newest topics.
pub async fn brand_feed(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let (found, rows) = state
        .services
        .db
        .run(move |c| {
            let found = brand::find_by_slug(c, &slug)?;
            let filter = Filter {
                brand: Some(found.id),
                ..Filter::default()
            };
            let ids: Vec<TopicId> = topic::list_page(c, &filter, Sort::Recent, ENTRIES, 0)?
                .into_iter()
                .map(|t| t.id)
                .collect();
            let rows = ids
                .into_iter()
                .map(|id| topic::find(c, id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((found, rows))
        })
        .await?;
    let entries: Vec<serde_json::Value> = rows
        .iter()
        .map(|t| serde_json::json!({
            "id": t.id, "title": t.title, "kind": t.kind, "url": format!("{}{}", state.base_url, topic_url(&found.slug, t.id, &t.title)),
            "published": time(t.created_at), "updated": time(t.edited_at.unwrap_or(t.created_at)), "content": t.body_html,
        }))
        .collect();
    let mut context = tera::Context::new();
    context.insert("base_url", &state.base_url);
    context.insert(
        "feed_id",
        &format!("{}/brands/{}", state.base_url, found.slug),
    );
    context.insert("title", &found.name);
    context.insert("updated", &time(found.last_activity_at));
    context.insert("entries", &entries);
    atom(&state, "feeds/feed.atom", &context)
}

/// GET /brands/{slug}/topics/{id}/feed.atom: the topic and its replies.
pub async fn topic_feed(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, segment) = path.into_inner();
    let id = segment
        .split('-')
        .next()
        .and_then(|d| d.parse().ok())
        .map(TopicId)
        .ok_or(AppError::NotFound)?;
    let (found, found_brand, replies) = state
        .services
        .db
        .run(move |c| {
            let found = crate::service::topic::visible(c, id)?;
            let found_brand = brand::find(c, found.brand_id)?;
            let replies = reply::of_topic(c, id, 200)?;
            Ok((found, found_brand, replies))
        })
        .await?;
    if found_brand.slug != slug {
        return Err(AppError::NotFound.into());
    }
    let url = format!(
        "{}{}",
        state.base_url,
        topic_url(&found_brand.slug, found.id, &found.title)
    );
    let entries: Vec<serde_json::Value> = replies
        .iter()
        .map(|r| serde_json::json!({
            "id": format!("reply-{}", r.reply.id), "title": format!("{} — {}", r.author_name, found.title),
            "url": format!("{url}#reply-{}", r.reply.id), "published": time(r.reply.created_at),
            "updated": time(r.reply.created_at), "content": r.reply.body_html,
        }))
        .collect();
    let mut context = tera::Context::new();
    context.insert("base_url", &state.base_url);
    context.insert("feed_id", &url);
    context.insert("title", &found.title);
    context.insert("updated", &time(found.last_activity_at));
    context.insert("entries", &entries);
    atom(&state, "feeds/feed.atom", &context)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The page an unsubscribe link opens: one click confirms.
pub async fn show_unsubscribe(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let mut page = Page::new(&req, "unsubscribe.title").await?;
    page.insert("token", &query.token);
    page.render(&req, "unsubscribe.html")
}

/// POST /unsubscribe, from our page (token in the form) or a mail client's one-click
/// (RFC 8058, token in the query). The signed token is the credential, so no CSRF token.
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form: TokenQuery = serde_urlencoded::from_bytes(&body).unwrap_or(TokenQuery {
        token: String::new(),
    });
    let token = if form.token.is_empty() {
        query.token.clone()
    } else {
        form.token
    };
    let key = state.key.clone();
    let found = state
        .services
        .db
        .run(move |c| crate::service::topic::unsubscribe(c, &key, &token))
        .await?;
    let found_brand = state
        .services
        .db
        .run(move |c| Ok(brand::find(c, found.brand_id)?))
        .await;
    let target = found_brand.map_or_else(
        |_| "/".to_string(),
        |b| topic_url(&b.slug, found.id, &found.title),
    );
    redirect_with_flash(&req, &target, "info", "flash.unsubscribed")
}
