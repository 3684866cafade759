//! Site admin and moderation pages: claims, bans, and the flag queues.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::CheckedForm;
use super::page::{Page, PageResult};
use super::session::CurrentUser;
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::{ClaimId, FlagId};
use crate::service::claim;
use crate::service::moderation;

/// GET /admin
pub async fn show_admin(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
) -> PageResult {
    let user = me.0.user;
    let ((waiting, decided), flags) = state
        .services
        .db
        .run(move |c| Ok((claim::list(c, &user)?, moderation::all_flags(c, &user)?)))
        .await?;
    let mut page = Page::new(&req, "admin.title").await?;
    page.insert("waiting", &waiting);
    page.insert("decided", &decided);
    page.insert("flags", &flags);
    page.render(&req, "admin/index.html")
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
}

/// POST /admin/claims/{id}
pub async fn decide_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<DecisionForm>,
) -> PageResult {
    let (user, id) = (me.0.user, ClaimId(*id));
    let approve = form.0.decision == "approve";
    act(&req, &state, "/admin", "flash.settings_saved", move |c| {
        claim::decide(c, &user, id, approve)
    })
    .await
}

#[derive(Deserialize)]
pub struct BrandForm {
    #[serde(default)]
    brand: String,
}

/// POST /admin/revoke
pub async fn revoke_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<BrandForm>,
) -> PageResult {
    let (user, slug) = (me.0.user, form.0.brand);
    act(&req, &state, "/admin", "flash.settings_saved", move |c| {
        claim::revoke(c, &user, slug.trim())
    })
    .await
}

#[derive(Deserialize)]
pub struct BanForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    hide_posts: Option<String>,
    #[serde(default)]
    unban: Option<String>,
}

/// POST /admin/ban
pub async fn ban(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<BanForm>,
) -> PageResult {
    let (user, form) = (me.0.user, form.0);
    let name = form.username.trim().to_lowercase();
    let result = state
        .services
        .db
        .run(move |c| {
            if form.unban.is_some() {
                moderation::unban(c, &user, &name)
            } else {
                moderation::ban(c, &user, &name, form.hide_posts.is_some()).map(drop)
            }
        })
        .await;
    match result {
        Ok(()) => {
            super::page::redirect_with_flash(&req, "/admin", "success", "flash.settings_saved")
        }
        Err(AppError::NotFound | AppError::Conflict(_)) => {
            super::page::redirect_with_flash(&req, "/admin", "error", "flash.action_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /brands/{slug}/moderation
pub async fn show_moderation(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, flags, hidden) = state
        .services
        .db
        .run(move |c| {
            let (found, flags) = moderation::queue(c, &user, &slug)?;
            let hidden = moderation::hidden(c, &user, found.id)?;
            Ok((found, flags, hidden))
        })
        .await?;
    let mut page = Page::new(&req, "moderation.title").await?;
    page.insert("brand", &found);
    page.insert("flags", &flags);
    page.insert("hidden", &hidden);
    page.render(&req, "staff/moderation.html")
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

/// POST /flags/{id}/dismiss
pub async fn dismiss_flag(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<ReturnForm>,
) -> PageResult {
    let (user, id) = (me.0.user, FlagId(*id));
    let to = super::page::safe_local_path(&form.0.return_to).to_string();
    act(&req, &state, &to, "flash.settings_saved", move |c| {
        moderation::dismiss(c, &user, id)
    })
    .await
}
