//! Escalation pages: raising one from a topic, asking for help, acknowledging (also from
//! the mail's link), the brand's escalations, its rules, notification settings, and the
//! site admin's mail queue.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::forms::CheckedForm;
use super::page::{Page, PageResult, redirect_with_flash, safe_local_path};
use super::session::CurrentUser;
use super::staff::act;
use super::topics::topic_action;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::notification::{self, Mode};
use crate::model::{EscalationId, OutboxEmailId, UserId, incident, now, outbox};
use crate::service::escalation::{self, RulesInput};
use crate::service::incident::suggested_notice;

#[derive(Deserialize)]
pub struct EscalateForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    level: Option<i32>,
}

/// POST {topic}/escalate
pub async fn escalate(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<EscalateForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, mail, form) = (me.0.user, state.services.mail.clone(), form.0);
    state
        .services
        .limits
        .hit(
            &state.services.db,
            format!("escalations:{}", user.id),
            crate::service::ESCALATIONS_PER_MEMBER,
        )
        .await?;
    act(&req, &state, &url, "flash.escalated", move |c| {
        escalation::escalate(c, &mail, &user, id, &form.reason, form.level).map(drop)
    })
    .await
}

/// POST {topic}/request-help
pub async fn request_help(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    form: CheckedForm<EscalateForm>,
) -> PageResult {
    let (id, url) = topic_action(path.into_inner())?;
    let (user, mail, reason) = (me.0.user, state.services.mail.clone(), form.0.reason);
    state
        .services
        .limits
        .hit(
            &state.services.db,
            format!("help:{}", user.id),
            crate::service::HELP_REQUESTS_PER_MEMBER,
        )
        .await?;
    let asked = state
        .services
        .db
        .run(move |c| escalation::request_help(c, &mail, &user, id, &reason))
        .await;
    match asked {
        Ok(_) => {
            state.services.mail.wake();
            redirect_with_flash(&req, &url, "success", "flash.help_requested")
        }
        Err(AppError::RateLimited { .. }) => {
            redirect_with_flash(&req, &url, "error", "flash.help_once_a_day")
        }
        Err(AppError::Validation(_) | AppError::Conflict(_)) => {
            redirect_with_flash(&req, &url, "error", "flash.action_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

/// POST /escalations/{id}/{acknowledge|resolve}
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
    form: CheckedForm<ReturnForm>,
) -> PageResult {
    let ((id, action), user) = (path.into_inner(), me.0.user);
    let to = safe_local_path(&form.0.return_to).to_string();
    let id = EscalationId(id);
    let resolve = match action.as_str() {
        "acknowledge" => false,
        "resolve" => true,
        _ => return Err(AppError::NotFound.into()),
    };
    act(&req, &state, &to, "flash.settings_saved", move |c| {
        if resolve {
            escalation::resolve(c, &user, id).map(drop)
        } else {
            escalation::acknowledge(c, &user, id).map(drop)
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// GET /escalations/acknowledge?token=: one click more, so mail scanners change nothing.
pub async fn show_acknowledge(req: HttpRequest, query: web::Query<TokenQuery>) -> PageResult {
    let mut page = Page::new(&req, "acknowledge.title").await?;
    page.insert("kind", "acknowledge");
    page.insert("token", &query.token);
    page.render(&req, "staff/confirm.html")
}

/// POST /escalations/acknowledge
pub async fn acknowledge(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<TokenQuery>,
) -> PageResult {
    let token = form.0.token;
    let done = state
        .services
        .db
        .run(move |c| escalation::acknowledge_by_link(c, &token))
        .await;
    match done {
        Ok(_) => redirect_with_flash(&req, "/", "success", "flash.acknowledged"),
        Err(AppError::Validation(_) | AppError::Forbidden) => {
            redirect_with_flash(&req, "/", "error", "flash.link_invalid")
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

/// GET /brands/{slug}/escalations
pub async fn show_escalations(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<StateQuery>,
) -> PageResult {
    let wanted = query.into_inner().state.unwrap_or_else(|| "open".into());
    let (user, shown) = (me.0.user, wanted.clone());
    let (found, rows) = state
        .services
        .db
        .run(move |c| escalation::list(c, &user, &slug, &wanted))
        .await?;
    let spikes: Vec<EscalationId> = rows
        .iter()
        .filter(|r| r.escalation.rule.as_deref() == Some("spike"))
        .map(|r| r.escalation.id)
        .collect();
    let brand_id = found.id;
    let (mut linked, notice) = state
        .services
        .db
        .run(move |c| {
            let mut linked = std::collections::HashMap::new();
            for id in spikes {
                linked.insert(id, incident::linked(c, id)?);
            }
            Ok((linked, incident::notice(c, brand_id)?))
        })
        .await?;
    let suggested = rows
        .iter()
        .find(|r| linked.contains_key(&r.escalation.id))
        .map(|r| suggested_notice(&r.topic_title, r.escalation.opened_at));
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r,
                "linked": linked.remove(&r.escalation.id).unwrap_or_default(),
                "url": super::topics::topic_url(&found.slug, r.escalation.topic_id, &r.topic_title),
                "to_acknowledge": escalation::minutes_to_acknowledge(&r.escalation)
                    .map(crate::service::workflow::waiting_text),
                "open_for": crate::service::workflow::waiting_text(
                    (now() - r.escalation.opened_at).num_minutes().max(0)),
            })
        })
        .collect();
    let mut page = Page::new(&req, "escalations.title").await?;
    page.insert("brand", &found);
    page.insert("rows", &rows);
    page.insert("state", &shown);
    page.insert("notice", &notice);
    page.insert("suggested", &suggested);
    page.render(&req, "staff/escalations.html")
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    unanswered_minutes: String,
    #[serde(default)]
    no_staff_reply_minutes: String,
    #[serde(default)]
    me_too_threshold: String,
    #[serde(default)]
    feeling_minutes: String,
    #[serde(default)]
    spike_me_toos: String,
    #[serde(default)]
    spike_minutes: String,
    #[serde(default)]
    acknowledge_minutes: String,
}

fn number(text: &str) -> Result<Option<i32>, AppError> {
    match text.trim() {
        "" => Ok(None),
        given => given.parse().map(Some).map_err(|_| {
            AppError::invalid("rules", "out_of_range", "a whole number, or empty for off")
        }),
    }
}

/// POST /brands/{slug}/team/rules: the rules and the recipients (repeated `recipients`).
pub async fn set_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let pairs = super::forms::Pairs::checked(&req, &state, &body)?;
    let value = |name: &str| pairs.value(name);
    let form = RulesForm {
        unanswered_minutes: value("unanswered_minutes"),
        no_staff_reply_minutes: value("no_staff_reply_minutes"),
        me_too_threshold: value("me_too_threshold"),
        feeling_minutes: value("feeling_minutes"),
        acknowledge_minutes: value("acknowledge_minutes"),
        spike_me_toos: value("spike_me_toos"),
        spike_minutes: value("spike_minutes"),
    };
    let recipients: Vec<UserId> = pairs.all("recipients").into_iter().map(UserId).collect();
    let (slug, user) = (slug.into_inner(), me.0.user);
    let url = format!("/brands/{slug}/team#rules");
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        let input = RulesInput {
            unanswered_minutes: number(&form.unanswered_minutes)?,
            no_staff_reply_minutes: number(&form.no_staff_reply_minutes)?,
            me_too_threshold: number(&form.me_too_threshold)?,
            feeling_minutes: number(&form.feeling_minutes)?,
            acknowledge_minutes: number(&form.acknowledge_minutes)?,
            spike_me_toos: number(&form.spike_me_toos)?,
            spike_minutes: number(&form.spike_minutes)?,
            recipients,
        };
        escalation::set_rules(c, &user, &slug, &input)
    })
    .await
}

#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    escalation: String,
    #[serde(default)]
    assigned: String,
    #[serde(default)]
    mention: String,
    #[serde(default)]
    return_to: String,
}

/// POST /settings/notifications
pub async fn set_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<NotificationsForm>,
) -> PageResult {
    let (id, form) = (me.0.user.id, form.0);
    let to = safe_local_path(&form.return_to).to_string();
    act(&req, &state, &to, "flash.settings_saved", move |c| {
        let chosen = [
            ("escalation", &form.escalation),
            ("assigned", &form.assigned),
            ("mention", &form.mention),
        ];
        crate::db::write_transaction(c, |c| {
            for (kind, text) in chosen {
                let mode = Mode::parse(text).ok_or_else(|| {
                    AppError::invalid("mode", "mode_invalid", "immediately, hourly or off")
                })?;
                notification::set_mode(c, id, kind, mode)?;
            }
            Ok(())
        })
    })
    .await
}

#[derive(Deserialize)]
pub struct MailQuery {
    state: Option<String>,
}

pub const MAIL_STATES: [&str; 5] = ["queued", "retrying", "failed", "skipped", "sent"];

/// GET /admin/mail
pub async fn show_mail(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    query: web::Query<MailQuery>,
) -> PageResult {
    crate::authz::site_admin(&me.0.user)?;
    let wanted = query.into_inner().state.unwrap_or_else(|| "failed".into());
    if !MAIL_STATES.contains(&wanted.as_str()) {
        return Err(AppError::NotFound.into());
    }
    let shown = wanted.clone();
    let rows = state
        .services
        .db
        .run(move |c| Ok(outbox::by_state(c, &wanted, 200)?))
        .await?;
    let mut page = Page::new(&req, "mail_queue.title").await?;
    page.insert("rows", &rows);
    page.insert("state", &shown);
    page.insert("states", &MAIL_STATES);
    page.render(&req, "admin/mail.html")
}

/// POST /admin/mail/{id}/retry
pub async fn retry_mail(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CheckedForm<ReturnForm>,
) -> PageResult {
    let user = me.0.user;
    let (id, to) = (
        OutboxEmailId(*id),
        safe_local_path(&form.0.return_to).to_string(),
    );
    act(&req, &state, &to, "flash.mail_retried", move |c| {
        crate::authz::site_admin(&user)?;
        if outbox::retry(c, id, now())? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct NoticeForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    escalation_id: Option<i64>,
    #[serde(default)]
    remove: Option<String>,
}

/// POST /brands/{slug}/notice: pin (or, with `remove`, take down) the brand's status notice.
pub async fn set_notice(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<NoticeForm>,
) -> PageResult {
    let (user, slug, form) = (me.0.user, slug.into_inner(), form.0);
    let url = format!("/brands/{slug}/escalations");
    act(&req, &state, &url, "flash.settings_saved", move |c| {
        if form.remove.is_some() {
            crate::service::incident::unpin(c, &user, &slug)
        } else {
            let esc = form.escalation_id.map(EscalationId);
            crate::service::incident::pin(c, &user, &slug, &form.body, esc).map(drop)
        }
    })
    .await
}
