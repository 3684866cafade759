//! Supervised replies and answers to re-verify: the approvals page (admins decide, authors
//! see theirs) and the "to re-verify" queue.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::CheckedForm;
use super::page::{Page, PageResult};
use super::session::CurrentUser;
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::{PendingReplyId, ReplyId};
use crate::service::{approval, verification};

/// GET /brands/{slug}/approvals
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, supervisor, rows) = state
        .services
        .db
        .run(move |c| approval::list(c, &user, &slug))
        .await?;
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r,
                "url": super::topics::topic_url(&found.slug, r.pending.topic_id, &r.topic_title),
            })
        })
        .collect();
    let mut page = Page::new(&req, "approvals.title").await?;
    page.insert("brand", &found);
    page.insert("supervisor", &supervisor);
    page.insert("rows", &rows);
    page.render(&req, "staff/approvals.html")
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    slug: String,
}

/// POST /pending-replies/{id}: approve (with edits), send back with a note, or withdraw.
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<DecisionForm>,
) -> PageResult {
    let (user, id, form) = (me.0.user, PendingReplyId(*id), form.0);
    let url = format!("/brands/{}/approvals", form.slug);
    let (action, body, note) = (form.action, form.body, form.note);
    let done = match action.as_str() {
        "approve" => "flash.reply_approved",
        "return" => "flash.reply_returned",
        "withdraw" => "flash.settings_saved",
        _ => return Err(AppError::NotFound.into()),
    };
    act(&req, &state, &url, done, move |c| match action.as_str() {
        "approve" => approval::approve(c, &user, id, Some(&body)).map(drop),
        "return" => approval::send_back(c, &user, id, &note),
        _ => approval::withdraw(c, &user, id),
    })
    .await
}

/// GET /brands/{slug}/reverify
pub async fn show_reverify(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, due) = state
        .services
        .db
        .run(move |c| verification::queue(c, &user, &slug))
        .await?;
    let rows: Vec<serde_json::Value> = due
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r,
                "url": format!("{}#reply-{}",
                    super::topics::topic_url(&found.slug, r.topic_id, &r.topic_title), r.reply_id),
            })
        })
        .collect();
    let mut page = Page::new(&req, "reverify.title").await?;
    page.insert("brand", &found);
    page.insert("rows", &rows);
    page.render(&req, "staff/reverify.html")
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    verified_version: String,
    #[serde(default)]
    review_on: String,
    #[serde(default)]
    return_to: String,
}

/// POST /replies/{id}/verification: staff record a new verification (or clear it).
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<VerifyForm>,
) -> PageResult {
    let (user, id, form) = (me.0.user, ReplyId(*id), form.0);
    let to = super::page::safe_local_path(&form.return_to).to_string();
    act(&req, &state, &to, "flash.settings_saved", move |c| {
        verification::set(
            c,
            &user,
            id,
            Some(&form.verified_version),
            Some(&form.review_on),
        )
        .map(drop)
    })
    .await
}
