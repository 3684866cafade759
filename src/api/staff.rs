//! Claims, staff, the queue, the workflow and moderation in the API: the Staff workflow
//! section of API.md and what the pages need beside it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{self, Paging};
use crate::app::AppState;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::model::claim::ClaimView;
use crate::model::event::EventView;
use crate::model::flag::FlagView;
use crate::model::member::StaffView;
use crate::model::note::NoteView;
use crate::model::saved_reply::SavedReply;
use crate::model::topic::QueueView;
use crate::model::user::User;
use crate::model::{ClaimId, FlagId, ReplyId, SavedReplyId, TopicId, UserId};
use crate::service::claim::{self, ClaimInput, Requested};
use crate::service::moderation::{self, FlagInput};
use crate::service::staff::{self, Added, StaffChange, StaffInput};
use crate::service::workflow::{self, BulkInput, StatusInput};
use crate::web::errors::ApiError;
use crate::web::session::{CurrentUser, MaybeUser};

type ApiResult = Result<HttpResponse, ApiError>;

/// Runs a use case on a pooled connection.
pub(super) async fn run<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(state.services.db.run(work).await?)
}

pub(super) fn ok() -> ApiResult {
    Ok(HttpResponse::Ok().json(json!({ "ok": true })))
}

fn staff_json(s: &StaffView) -> Value {
    json!({ "user_id": s.user_id, "username": s.username, "display_name": s.display_name,
            "role": s.role, "title": s.title, "since": json::time(s.created_at) })
}

fn claim_json(v: &ClaimView) -> Value {
    json!({ "id": v.claim.id, "brand": v.brand_slug, "brand_name": v.brand_name,
            "domain": v.brand_domain, "username": v.username, "email": v.claim.email,
            "reason": v.claim.reason, "state": v.claim.state,
            "created_at": json::time(v.claim.created_at), "decided_at": json::time_opt(v.claim.decided_at) })
}

pub fn event_json(e: &EventView) -> Value {
    json!({ "id": e.id, "kind": e.kind, "public": e.public, "detail": e.detail_json(),
            "actor": e.actor_username, "created_at": json::time(e.created_at) })
}

fn note_json(n: &NoteView) -> Value {
    json!({ "id": n.id, "body": n.body, "body_html": n.body_html,
            "author": { "username": n.author_username, "display_name": n.author_name },
            "created_at": json::time(n.created_at) })
}

fn flag_json(f: &FlagView) -> Value {
    json!({ "id": f.flag.id, "topic_id": f.flag.topic_id, "reply_id": f.flag.reply_id,
            "reason": f.flag.reason, "note": f.flag.note, "reporter": f.reporter_username,
            "topic_title": f.topic_title, "brand": f.brand_slug, "created_at": json::time(f.flag.created_at) })
}

/// POST /brands/{slug}/claims
pub async fn request_claim(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<ClaimInput>,
) -> ApiResult {
    let limit = format!("claims:{}", me.0.user.id);
    state
        .services
        .limits
        .hit(&state.services.db, limit, crate::service::CLAIMS_PER_MEMBER)
        .await?;
    let (user, input, mail) = (me.0.user, body.into_inner(), state.services.mail.clone());
    let outcome = run(&state, move |c| {
        claim::request(c, &mail, &user, &slug, &input)
    })
    .await?;
    state.services.mail.wake();
    let state_text = match outcome {
        Requested::Mailed => "mailed",
        Requested::Pending => "pending",
    };
    Ok(HttpResponse::Accepted().json(json!({ "state": state_text })))
}

#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    token: String,
}

/// POST /claims/confirm
pub async fn confirm_claim(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<TokenBody>,
) -> ApiResult {
    let user = me.0.user;
    let brand = run(&state, move |c| claim::confirm(c, &user, &body.token)).await?;
    Ok(HttpResponse::Ok().json(json!({ "brand": brand.slug, "role": "admin", "claimed": true })))
}

/// GET /admin/claims
pub async fn list_claims(state: web::Data<AppState>, me: CurrentUser) -> ApiResult {
    let user = me.0.user;
    let (waiting, decided) = run(&state, move |c| claim::list(c, &user)).await?;
    let items: Vec<Value> = waiting
        .iter()
        .chain(decided.iter())
        .map(claim_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// POST /admin/claims/{id}/approve and /reject
pub async fn decide_claim(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> ApiResult {
    let (id, action) = path.into_inner();
    let approve = match action.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound.into()),
    };
    let user = me.0.user;
    run(&state, move |c| {
        claim::decide(c, &user, ClaimId(id), approve)
    })
    .await?;
    ok()
}

/// POST /admin/brands/{slug}/revoke-claim
pub async fn revoke_claim(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let user = me.0.user;
    run(&state, move |c| claim::revoke(c, &user, &slug)).await?;
    ok()
}

type BrandList<T> = fn(&mut DbConn, &User, &str) -> AppResult<Vec<T>>;

/// A list of one brand's for its staff, as `{items}`.
async fn brand_items<T: Send + 'static>(
    state: &AppState,
    me: CurrentUser,
    slug: String,
    fetch: BrandList<T>,
    shape: fn(&T) -> Value,
) -> ApiResult {
    let user = me.0.user;
    let rows = run(state, move |c| fetch(c, &user, &slug)).await?;
    let items: Vec<Value> = rows.iter().map(shape).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// GET /brands/{slug}/staff
pub async fn list_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let fetch: BrandList<StaffView> = |c, user, slug| Ok(staff::list(c, user, slug)?.1);
    brand_items(&state, me, slug.into_inner(), fetch, staff_json).await
}

/// POST /brands/{slug}/staff
pub async fn add_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<StaffInput>,
) -> ApiResult {
    let (user, input, mail) = (me.0.user, body.into_inner(), state.services.mail.clone());
    let added = run(&state, move |c| staff::add(c, &mail, &user, &slug, &input)).await?;
    state.services.mail.wake();
    Ok(HttpResponse::Created().json(match added {
        Added::Member(id) => json!({ "user_id": id, "invited": false }),
        Added::Invited(email) => json!({ "email": email, "invited": true }),
    }))
}

/// PATCH /brands/{slug}/staff/{user_id}
pub async fn update_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    body: web::Json<StaffChange>,
) -> ApiResult {
    let ((slug, who), user) = (path.into_inner(), me.0.user);
    run(&state, move |c| {
        staff::update(c, &user, &slug, UserId(who), &body)
    })
    .await?;
    ok()
}

/// DELETE /brands/{slug}/staff/{user_id}
pub async fn remove_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
) -> ApiResult {
    let ((slug, who), user) = (path.into_inner(), me.0.user);
    run(&state, move |c| staff::remove(c, &user, &slug, UserId(who))).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// POST /invitations/accept
pub async fn accept_invitation(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<TokenBody>,
) -> ApiResult {
    let user = me.0.user;
    let brand = run(&state, move |c| {
        staff::accept_invitation(c, &user, &body.token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "brand": brand.slug })))
}

#[derive(Deserialize)]
pub struct SettingsBody {
    first_response_minutes: Option<i32>,
}

/// PUT /brands/{slug}/settings
pub async fn update_settings(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<SettingsBody>,
) -> ApiResult {
    let user = me.0.user;
    let minutes = body.first_response_minutes;
    run(&state, move |c| staff::set_target(c, &user, &slug, minutes)).await?;
    Ok(HttpResponse::Ok().json(json!({ "first_response_minutes": minutes })))
}

/// GET /brands/{slug}/saved-replies
pub async fn list_saved_replies(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let fetch: BrandList<SavedReply> = staff::saved_replies;
    brand_items(&state, me, slug.into_inner(), fetch, |s| json!(s)).await
}

#[derive(Deserialize)]
pub struct SavedReplyBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// POST /brands/{slug}/saved-replies
pub async fn add_saved_reply(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<SavedReplyBody>,
) -> ApiResult {
    let user = me.0.user;
    let saved = run(&state, move |c| {
        staff::add_saved_reply(c, &user, &slug, &body.title, &body.body)
    })
    .await?;
    Ok(HttpResponse::Created().json(saved))
}

/// DELETE /saved-replies/{id}
pub async fn delete_saved_reply(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, SavedReplyId(*id));
    run(&state, move |c| staff::delete_saved_reply(c, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct QueueQuery {
    view: Option<String>,
    order: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// GET /brands/{slug}/queue
pub async fn queue(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> ApiResult {
    let query = query.into_inner();
    let view = match query.view.as_deref() {
        None | Some("") => QueueView::All,
        Some(text) => QueueView::parse(text).ok_or_else(|| {
            AppError::invalid(
                "view",
                "view_invalid",
                "choose unanswered, no_staff_reply, escalated, mine, overdue or all",
            )
        })?,
    };
    let order = workflow::QueueOrder::parse(query.order.as_deref().unwrap_or_default())
        .ok_or_else(|| AppError::invalid("order", "order_invalid", "choose priority or waiting"))?;
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    let (user, limit, offset) = (me.0.user, paging.per_page(), paging.offset());
    let found = run(&state, move |c| {
        workflow::queue(c, &user, &slug, (view, order), limit, offset)
    })
    .await?;
    let items = found
        .rows
        .iter()
        .map(|r| {
            json!({ "id": r.item.id, "kind": r.item.kind, "title": r.item.title, "status": r.item.status,
                    "feeling": r.item.feeling, "me_too_count": r.item.me_too_count,
                    "reply_count": r.item.reply_count, "escalated": r.item.open_escalations > 0,
                    "assignee": r.assignee.as_ref().map(|a| json!({ "user_id": a.user_id, "username": a.username })),
                    "author": { "username": r.item.author_username, "display_name": r.item.author_name },
                    "created_at": json::time(r.item.created_at), "waiting_minutes": r.waiting_minutes,
                    "overdue": r.overdue, "priority": (r.item.priority * 10.0).round() / 10.0,
                    "priority_reasons": r.priority_reasons })
        })
        .collect();
    Ok(HttpResponse::Ok().json(paging.wrap(items, found.total)))
}

/// POST /brands/{slug}/queue/bulk
pub async fn bulk(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<BulkInput>,
) -> ApiResult {
    let (user, input, mail) = (me.0.user, body.into_inner(), state.services.mail.clone());
    let count = run(&state, move |c| {
        workflow::bulk(c, &mail, &user, &slug, &input)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Ok().json(json!({ "updated": count })))
}

fn topic_state(t: &crate::model::topic::Topic) -> Value {
    json!({ "id": t.id, "status": t.status, "assignee": t.assignee_id, "locked": t.locked,
            "hidden": t.hidden, "duplicate_of": t.duplicate_of, "product_id": t.product_id,
            "me_too_count": t.me_too_count })
}

#[derive(Deserialize)]
pub struct AssignBody {
    #[serde(default)]
    user_id: Option<UserId>,
    /// A handover note for the new assignee.
    #[serde(default)]
    note: String,
}

/// POST /topics/{id}/assign
pub async fn assign(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<AssignBody>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let body = body.into_inner();
    let found = run(&state, move |c| {
        workflow::assign(c, &mail, &user, id, body.user_id, &body.note)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Ok().json(topic_state(&found)))
}

/// POST /topics/{id}/status
pub async fn set_status(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<StatusInput>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let found = run(&state, move |c| {
        workflow::set_status(c, &mail, &user, id, &body)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Ok().json(topic_state(&found)))
}

/// GET /topics/{id}/notes
pub async fn list_notes(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, TopicId(*id));
    let notes = run(&state, move |c| workflow::notes(c, &user, id)).await?;
    let items: Vec<Value> = notes.iter().map(note_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct NoteBody {
    #[serde(default)]
    body: String,
}

/// POST /topics/{id}/notes
pub async fn add_note(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<NoteBody>,
) -> ApiResult {
    let (user, id, mail) = (me.0.user, TopicId(*id), state.services.mail.clone());
    let note = run(&state, move |c| {
        workflow::add_note(c, &mail, &user, id, &body.body)
    })
    .await?;
    state.services.mail.wake();
    Ok(HttpResponse::Created().json(note_json(&note)))
}

/// GET /topics/{id}/events
pub async fn events(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (viewer.0.map(|v| v.user), TopicId(*id));
    let events = run(&state, move |c| workflow::events(c, user.as_ref(), id)).await?;
    let items: Vec<Value> = events.iter().map(event_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct FlagBody {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reply_id: Option<ReplyId>,
}

/// POST /topics/{id}/flags
pub async fn flag(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<FlagBody>,
) -> ApiResult {
    let (user, id, body) = (me.0.user, TopicId(*id), body.into_inner());
    let input = FlagInput {
        reason: body.reason,
        note: body.note,
    };
    run(&state, move |c| {
        moderation::flag(c, &user, id, body.reply_id, &input)
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({ "flagged": true })))
}

/// GET /brands/{slug}/flags
pub async fn list_flags(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> ApiResult {
    let fetch: BrandList<FlagView> = |c, user, slug| Ok(moderation::queue(c, user, slug)?.1);
    brand_items(&state, me, slug.into_inner(), fetch, flag_json).await
}

/// POST /flags/{id}/dismiss
pub async fn dismiss_flag(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> ApiResult {
    let (user, id) = (me.0.user, FlagId(*id));
    run(&state, move |c| moderation::dismiss(c, &user, id)).await?;
    ok()
}

/// POST /topics/{id}/hide and /restore
pub async fn hide_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> ApiResult {
    let ((id, action), user) = (path.into_inner(), me.0.user);
    let hidden = hide_action(&action)?;
    run(&state, move |c| {
        moderation::set_topic_hidden(c, &user, TopicId(id), hidden)
    })
    .await?;
    ok()
}

/// POST /replies/{id}/hide and /restore
pub async fn hide_reply(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> ApiResult {
    let ((id, action), user) = (path.into_inner(), me.0.user);
    let hidden = hide_action(&action)?;
    run(&state, move |c| {
        moderation::set_reply_hidden(c, &user, ReplyId(id), hidden)
    })
    .await?;
    ok()
}

fn hide_action(action: &str) -> Result<bool, ApiError> {
    match action {
        "hide" => Ok(true),
        "restore" => Ok(false),
        _ => Err(AppError::NotFound.into()),
    }
}

#[derive(Deserialize)]
pub struct LockBody {
    #[serde(default = "yes")]
    locked: bool,
}

fn yes() -> bool {
    true
}

/// POST /topics/{id}/lock
pub async fn lock(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<LockBody>,
) -> ApiResult {
    let (user, id, locked) = (me.0.user, TopicId(*id), body.locked);
    run(&state, move |c| {
        moderation::set_locked(c, &user, id, locked)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "locked": locked })))
}

#[derive(Deserialize)]
pub struct MergeBody {
    into: i64,
}

/// POST /topics/{id}/merge
pub async fn merge(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<MergeBody>,
) -> ApiResult {
    let (user, id, into) = (me.0.user, TopicId(*id), TopicId(body.into));
    let target = run(&state, move |c| moderation::merge(c, &user, id, into)).await?;
    Ok(HttpResponse::Ok().json(topic_state(&target)))
}

#[derive(Deserialize)]
pub struct MoveBody {
    #[serde(default)]
    product: Option<String>,
}

/// POST /topics/{id}/move
pub async fn move_topic(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<MoveBody>,
) -> ApiResult {
    let (user, id) = (me.0.user, TopicId(*id));
    run(&state, move |c| {
        moderation::move_topic(c, &user, id, body.product.as_deref())
    })
    .await?;
    ok()
}

#[derive(Deserialize)]
pub struct BanBody {
    #[serde(default)]
    hide_posts: bool,
}

/// POST /admin/users/{username}/ban
pub async fn ban(
    state: web::Data<AppState>,
    me: CurrentUser,
    username: web::Path<String>,
    body: web::Json<BanBody>,
) -> ApiResult {
    let (user, hide) = (me.0.user, body.hide_posts);
    let banned = run(&state, move |c| moderation::ban(c, &user, &username, hide)).await?;
    Ok(HttpResponse::Ok().json(
        json!({ "username": banned.username, "banned_at": json::time_opt(banned.banned_at) }),
    ))
}

/// DELETE /admin/users/{username}/ban
pub async fn unban(
    state: web::Data<AppState>,
    me: CurrentUser,
    username: web::Path<String>,
) -> ApiResult {
    let user = me.0.user;
    run(&state, move |c| moderation::unban(c, &user, &username)).await?;
    Ok(HttpResponse::NoContent().finish())
}
