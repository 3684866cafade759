//! Staff pages: claiming a brand, accepting an invitation, the team page (staff, response
//! target, saved replies) and the queue.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::CheckedForm;
use super::page::{Page, PageResult, redirect_with_flash};
use super::session::{CurrentUser, MaybeUser};
use crate::app::AppState;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::model::brand::{self, Brand};
use crate::model::topic::QueueView;
use crate::model::{SavedReplyId, UserId};
use crate::service::claim::{self, ClaimInput, Requested};
use crate::service::staff::{self, StaffChange, StaffInput};
use crate::service::workflow::{self, BulkInput};

/// Runs an action from a page, then returns to `to` with a flash saying how it went; bad
/// input comes back as an error flash, other failures as their error page.
pub async fn act(
    req: &HttpRequest,
    state: &AppState,
    to: &str,
    done_key: &str,
    work: impl FnOnce(&mut DbConn) -> AppResult<()> + Send + 'static,
) -> PageResult {
    match state.services.db.run(work).await {
        Ok(()) => {
            state.services.mail.wake();
            redirect_with_flash(req, to, "success", done_key)
        }
        Err(AppError::Validation(_) | AppError::Conflict(_) | AppError::Taken(_)) => {
            redirect_with_flash(req, to, "error", "flash.action_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /brands/{slug}/claim
pub async fn show_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    _me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let found = state
        .services
        .db
        .run(move |c| Ok(brand::find_by_slug(c, &slug)?))
        .await?;
    let mut page = Page::new(&req, "claim.title").await?;
    page.insert("brand", &found);
    page.insert("form", &serde_json::json!({}));
    page.render(&req, "staff/claim.html")
}

#[derive(Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    reason: String,
}

/// POST /brands/{slug}/claim
pub async fn claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<ClaimForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let user = me.0.user;
    state
        .services
        .limits
        .hit(
            &state.services.db,
            format!("claims:{}", user.id),
            crate::service::CLAIMS_PER_MEMBER,
        )
        .await?;
    let typed = serde_json::json!({ "email": form.0.email });
    let input = ClaimInput {
        email: Some(form.0.email),
        reason: Some(form.0.reason),
    };
    let mail = state.services.mail.clone();
    let target = slug.clone();
    match state
        .services
        .db
        .run(move |c| claim::request(c, &mail, &user, &target, &input))
        .await
    {
        Ok(outcome) => {
            state.services.mail.wake();
            let key = match outcome {
                Requested::Mailed => "flash.claim_mailed",
                Requested::Pending => "flash.claim_pending",
            };
            redirect_with_flash(&req, &format!("/brands/{slug}"), "success", key)
        }
        Err(AppError::Validation(errors)) => {
            let found = state
                .services
                .db
                .run(move |c| Ok(brand::find_by_slug(c, &slug)?))
                .await?;
            let mut page = Page::new(&req, "claim.title").await?;
            page.insert_errors(&errors);
            page.insert("brand", &found);
            page.insert("form", &typed);
            page.render_with_status(
                &req,
                "staff/claim.html",
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The one-click page a mailed link opens: mail scanners that follow links change nothing.
async fn show_confirm(req: &HttpRequest, kind: &str, token: &str) -> PageResult {
    let mut page = Page::new(req, &format!("{kind}.title")).await?;
    page.insert("kind", kind);
    page.insert("token", token);
    page.render(req, "staff/confirm.html")
}

/// GET /claims/confirm?token=
pub async fn show_confirm_claim(
    req: HttpRequest,
    _me: CurrentUser,
    query: web::Query<TokenQuery>,
) -> PageResult {
    show_confirm(&req, "claim_confirm", &query.token).await
}

/// GET /invitations/accept?token=
pub async fn show_accept_invitation(
    req: HttpRequest,
    _me: CurrentUser,
    query: web::Query<TokenQuery>,
) -> PageResult {
    show_confirm(&req, "invitation", &query.token).await
}

type FollowLink = fn(&mut DbConn, &crate::model::user::User, &str) -> AppResult<Brand>;

/// Does what a mailed link offers, then goes to `page` of the brand with `done_key`.
async fn follow_link(
    req: &HttpRequest,
    state: &AppState,
    me: CurrentUser,
    token: String,
    work: FollowLink,
    (page, done_key): (&str, &str),
) -> PageResult {
    let user = me.0.user;
    match state.services.db.run(move |c| work(c, &user, &token)).await {
        Ok(found) => redirect_with_flash(
            req,
            &format!("/brands/{}/{page}", found.slug),
            "success",
            done_key,
        ),
        Err(AppError::Validation(_) | AppError::Conflict(_)) => {
            redirect_with_flash(req, "/", "error", "flash.link_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /claims/confirm
pub async fn confirm_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<TokenQuery>,
) -> PageResult {
    let next = ("team", "flash.claim_confirmed");
    follow_link(&req, &state, me, form.0.token, claim::confirm, next).await
}

/// POST /invitations/accept
pub async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<TokenQuery>,
) -> PageResult {
    let next = ("queue", "flash.invitation_accepted");
    follow_link(
        &req,
        &state,
        me,
        form.0.token,
        staff::accept_invitation,
        next,
    )
    .await
}

/// GET /brands/{slug}/team: staff, the response target and saved replies.
pub async fn show_team(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let user = me.0.user;
    let (found, members, saved, access, (rules, notifications, origins, sso)) = state
        .services
        .db
        .run(move |c| {
            let (found, members) = staff::list(c, &user, &slug)?;
            let saved = staff::saved_replies(c, &user, &slug)?;
            let access = crate::authz::access(c, found.id, Some(&user))?;
            let (_, rules) = crate::service::escalation::rules(c, &user, &slug)?;
            let modes = crate::model::notification::modes(c, user.id)?;
            let origins = crate::model::widget::origins(c, found.id)?;
            let sso = (
                crate::model::oidc::brand_link(c, found.id)?,
                crate::service::sso::public_providers(c)?,
            );
            Ok((found, members, saved, access, (rules, modes, origins, sso)))
        })
        .await?;
    let mut page = Page::new(&req, "team.title").await?;
    page.insert("rules", &rules);
    let notifications: Vec<serde_json::Value> = notifications
        .iter()
        .map(|(kind, mode)| serde_json::json!({ "kind": kind, "mode": mode.as_str() }))
        .collect();
    page.insert("notifications", &notifications);
    page.insert("brand", &found);
    page.insert("members", &members);
    page.insert("saved_replies", &saved);
    page.insert("is_admin", &access.admin());
    page.insert("widget_origins", &origins);
    page.insert("sso_link", &sso.0);
    page.insert("sso_providers", &sso.1);
    page.insert("base_url", &state.base_url);
    page.render(&req, "staff/team.html")
}

/// POST /brands/{slug}/team: add staff by username or invite by email.
pub async fn add_staff(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<StaffInput>,
) -> PageResult {
    let (slug, user, mail) = (slug.into_inner(), me.0.user, state.services.mail.clone());
    let url = format!("/brands/{slug}/team");
    let input = form.0;
    act(&req, &state, &url, "flash.staff_added", move |c| {
        staff::add(c, &mail, &user, &slug, &input).map(drop)
    })
    .await
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    needs_approval: Option<String>,
}

/// POST /brands/{slug}/team/{user_id}: change role, title and supervision, or remove.
pub async fn change_staff(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    form: CheckedForm<MemberForm>,
) -> PageResult {
    let ((slug, who), user) = (path.into_inner(), me.0.user);
    let url = format!("/brands/{slug}/team");
    let form = form.0;
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        if form.action == "remove" {
            staff::remove(c, &user, &slug, UserId(who))
        } else {
            let change = StaffChange {
                role: form.role,
                title: form.title,
                needs_approval: Some(form.needs_approval.is_some()),
            };
            staff::update(c, &user, &slug, UserId(who), &change)
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    first_response_minutes: String,
}

/// POST /brands/{slug}/team/target
pub async fn set_target(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<TargetForm>,
) -> PageResult {
    let (slug, user) = (slug.into_inner(), me.0.user);
    let url = format!("/brands/{slug}/team");
    let text = form.0.first_response_minutes;
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        let minutes = match text.trim() {
            "" => None,
            given => Some(given.parse::<i32>().map_err(|_| {
                AppError::invalid(
                    "first_response_minutes",
                    "out_of_range",
                    "a number of minutes",
                )
            })?),
        };
        staff::set_target(c, &user, &slug, minutes)
    })
    .await
}

#[derive(Deserialize)]
pub struct SavedReplyForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    delete: Option<i64>,
}

/// POST /brands/{slug}/team/saved-replies: add one, or delete one.
pub async fn saved_reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<SavedReplyForm>,
) -> PageResult {
    let (slug, user) = (slug.into_inner(), me.0.user);
    let url = format!("/brands/{slug}/team#saved-replies");
    let form = form.0;
    act(
        &req,
        &state,
        &url,
        "flash.settings_saved",
        move |c| match form.delete {
            Some(id) => staff::delete_saved_reply(c, &user, SavedReplyId(id)),
            None => staff::add_saved_reply(c, &user, &slug, &form.title, &form.body).map(drop),
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct QueueQuery {
    view: Option<String>,
    order: Option<String>,
    page: Option<i64>,
}

pub const QUEUE_PER_PAGE: i64 = 50;

/// GET /brands/{slug}/queue
pub async fn show_queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> PageResult {
    let view = match query.view.as_deref() {
        None | Some("") => QueueView::NoStaffReply,
        Some(text) => QueueView::parse(text).ok_or(AppError::NotFound)?,
    };
    let order = workflow::QueueOrder::parse(query.order.as_deref().unwrap_or_default())
        .ok_or(AppError::NotFound)?;
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let user = me.0.user;
    let found = state
        .services
        .db
        .run(move |c| {
            workflow::queue(
                c,
                &user,
                &slug,
                (view, order),
                QUEUE_PER_PAGE,
                (page_no - 1) * QUEUE_PER_PAGE,
            )
        })
        .await?;
    let rows: Vec<serde_json::Value> = found
        .rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r,
                "url": super::topics::topic_url(&found.brand.slug, r.item.id, &r.item.title),
                "waiting": workflow::waiting_text(r.waiting_minutes),
                "reasons": r.priority_reasons.join(" · "),
            })
        })
        .collect();
    let mut page = Page::new(&req, "queue.title").await?;
    page.insert("brand", &found.brand);
    page.insert("rows", &rows);
    page.insert("total", &found.total);
    page.insert("staff", &found.staff);
    page.insert("view", view.as_str());
    page.insert(
        "order",
        if order == workflow::QueueOrder::Waiting {
            "waiting"
        } else {
            "priority"
        },
    );
    page.insert("views", &QueueView::ALL.map(QueueView::as_str));
    page.insert("pager", &super::lists::pager(page_no, found.total));
    page.insert(
        "statuses",
        &crate::model::topic_status::Status::ALL.map(crate::model::topic_status::Status::as_str),
    );
    page.render(&req, "staff/queue.html")
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    topic_ids: Vec<i64>,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    view: String,
}

/// POST /brands/{slug}/queue: bulk assign and bulk status.
pub async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let pairs = super::forms::Pairs::checked(&req, &state, &body)?;
    let value = |name: &str| pairs.value(name);
    let form = BulkForm {
        topic_ids: pairs.all("topic_ids"),
        assignee: value("assignee"),
        status: value("status"),
        view: value("view"),
    };
    let (slug, user, mail) = (slug.into_inner(), me.0.user, state.services.mail.clone());
    let url = format!("/brands/{slug}/queue?view={}", form.view);
    let assignee = match form.assignee.as_str() {
        "" => None,
        "none" => Some(None),
        id => Some(Some(UserId(
            id.parse()
                .map_err(|_| AppError::BadRequest("assignee".into()))?,
        ))),
    };
    let input = BulkInput {
        topic_ids: form.topic_ids,
        assignee,
        status: Some(form.status).filter(|s| !s.is_empty()),
    };
    act(&req, &state, &url, "flash.queue_updated", move |c| {
        workflow::bulk(c, &mail, &user, &slug, &input).map(drop)
    })
    .await
}

/// Whether the viewer works this brand: brand pages show them the way to the queue.
pub async fn viewer_access(
    state: &AppState,
    viewer: &MaybeUser,
    brand: crate::model::BrandId,
) -> Result<crate::authz::Access, super::errors::PageError> {
    let user = viewer.0.as_ref().map(|v| v.user.clone());
    Ok(state
        .services
        .db
        .run(move |c| crate::authz::access(c, brand, user.as_ref()))
        .await?)
}
