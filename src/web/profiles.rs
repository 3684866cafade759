//! Profiles: what a member asked and answered, and what they earned.

use super::lists::summaries;
use super::page::Page;
use super::page::PageResult;
use super::topics::topic_url;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::topic::{self, Filter, Sort};
use crate::model::user;
use actix_web::{HttpRequest, web};

/// GET /users/{username}: what a member asked and answered, and what they earned.
pub async fn profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> PageResult {
    let name = username.into_inner();
    let (member, asked, answers) = state
        .services
        .db
        .run(move |c| {
            let member = user::find_by_username(c, &name)?.ok_or(AppError::NotFound)?;
            let filter = Filter {
                author: Some(member.id),
                ..Filter::default()
            };
            let asked = topic::list_page(c, &filter, Sort::Recent, 20, 0)?;
            let answers = crate::model::reply::by_author(c, member.id, 20)?;
            Ok((member, asked, answers))
        })
        .await?;
    let rule = state.services.points;
    let points = rule.points(member.helpful_received, member.accepted_answers);
    let answers: Vec<serde_json::Value> = answers
        .iter()
        .map(|(r, title, slug, _)| {
            serde_json::json!({
                "url": format!("{}#reply-{}", topic_url(slug, r.topic_id, title), r.id),
                "title": title, "helpful_count": r.helpful_count, "created_at": r.created_at,
            })
        })
        .collect();
    let mut page = Page::new(&req, "profile.title").await?;
    page.insert("member", &serde_json::json!({
        "username": member.username, "display_name": member.display_name, "joined": member.created_at.format("%Y-%m-%d").to_string(),
        "helpful_received": member.helpful_received, "accepted_answers": member.accepted_answers,
        "points": points, "champion": rule.is_champion(points),
    }));
    page.insert("asked", &summaries(&asked));
    page.insert("answers", &answers);
    page.render(&req, "users/show.html")
}
