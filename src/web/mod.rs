//! The HTML side: pages, their routes, and what every response passes through.

pub mod accounts;
pub mod admin;
pub mod approvals;
pub mod assets;
pub mod brands;
pub mod charts;
pub mod client;
pub mod errors;
pub mod escalations;
pub mod feeds;
pub mod fields;
pub mod fixed;
pub mod forms;
pub mod insights;
pub mod lists;
pub mod metrics;
pub mod middleware;
pub mod page;
pub mod page_cache;
pub mod profiles;
pub mod search;
pub mod session;
pub mod sso;
pub mod staff;
pub mod templates;
pub mod topics;
pub mod voices;
pub mod webhooks;
pub mod widget;
pub mod workflow;

use actix_web::{HttpRequest, HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(brands::home))
        .route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics::show))
        .route("/assets/{name}", web::get().to(assets::serve_asset))
        .route("/language", web::post().to(accounts::switch_language))
        .service(
            web::resource("/sign-up")
                .route(web::get().to(accounts::show_sign_up))
                .route(web::post().to(accounts::sign_up)),
        )
        .service(
            web::resource("/sign-in")
                .route(web::get().to(accounts::show_sign_in))
                .route(web::post().to(accounts::sign_in)),
        )
        .route("/sso/{id}/start", web::get().to(sso::start))
        .route("/sso/{id}/callback", web::get().to(sso::callback))
        .route("/sign-out", web::post().to(accounts::sign_out))
        .service(
            web::resource("/verify")
                .route(web::get().to(accounts::show_verify))
                .route(web::post().to(accounts::verify)),
        )
        .service(
            web::resource("/reset")
                .route(web::get().to(accounts::show_reset))
                .route(web::post().to(accounts::request_reset)),
        )
        .service(
            web::resource("/reset/confirm")
                .route(web::get().to(accounts::show_reset_confirm))
                .route(web::post().to(accounts::confirm_reset)),
        )
        .route("/settings", web::get().to(accounts::show_settings))
        .route(
            "/settings/profile",
            web::post().to(accounts::update_profile),
        )
        .route(
            "/settings/password",
            web::post().to(accounts::change_password),
        )
        .route("/settings/email", web::post().to(accounts::change_email))
        .route(
            "/settings/resend-verification",
            web::post().to(accounts::resend_verification),
        )
        .route(
            "/settings/sign-out-everywhere",
            web::post().to(accounts::sign_out_everywhere),
        )
        .configure(community_routes);
}

/// Liveness and readiness: answers 200 when the database answers.
async fn healthz(state: web::Data<crate::app::AppState>) -> HttpResponse {
    let db = state
        .services
        .db
        .run(|c| Ok(crate::model::user::count(c)?))
        .await;
    match db {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}

/// Unknown paths: a 404 page, or problem+json under /api.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Err(errors::for_request(&req, crate::error::AppError::NotFound))
}

/// Community pages: brands, topics, profiles, feeds.
fn community_routes(cfg: &mut web::ServiceConfig) {
    let topic = "/brands/{slug}/topics/{topic}";
    cfg.route("/search", web::get().to(search::show_search))
        .route(
            "/brands/{slug}/monitors",
            web::get().to(search::show_monitors),
        )
        .route(
            "/brands/{slug}/monitors",
            web::post().to(search::change_monitors),
        )
        .route(
            "/brands/{slug}/monitors/{id}",
            web::get().to(search::show_monitor),
        )
        .route("/users/{username}", web::get().to(profiles::profile))
        .route("/unsubscribe", web::get().to(feeds::show_unsubscribe))
        .route("/unsubscribe", web::post().to(feeds::unsubscribe))
        .route("/brands/new", web::get().to(brands::show_new_brand))
        .route("/brands/new", web::post().to(brands::create_brand))
        .route("/brands/{slug}", web::get().to(brands::show_brand))
        .route("/brands/{slug}/feed.atom", web::get().to(feeds::brand_feed))
        .route(
            "/brands/{slug}/follow",
            web::post().to(brands::follow_brand),
        )
        .route("/brands/{slug}/ask", web::get().to(brands::show_ask))
        .route("/brands/{slug}/ask", web::post().to(brands::ask))
        .route(topic, web::get().to(topics::show_topic))
        .route(
            &format!("{topic}/feed.atom"),
            web::get().to(feeds::topic_feed),
        )
        .route(
            &format!("{topic}/replies"),
            web::post().to(topics::post_reply),
        )
        .route(&format!("{topic}/me-too"), web::post().to(topics::me_too))
        .route(&format!("{topic}/fixed"), web::post().to(fixed::answer))
        .route("/fixed", web::get().to(fixed::show))
        .route("/fixed", web::post().to(fixed::answer_by_link))
        .route(
            &format!("{topic}/follow"),
            web::post().to(topics::follow_topic),
        )
        .route(&format!("{topic}/accept"), web::post().to(topics::accept))
        .route(&format!("{topic}/helpful"), web::post().to(topics::helpful))
        .route(&format!("{topic}/edit"), web::get().to(topics::show_edit))
        .route(&format!("{topic}/edit"), web::post().to(topics::edit))
        .configure(staff_routes);
}

/// Claims, the team, the queue, topic workflow, moderation and the site admin.
fn staff_routes(cfg: &mut web::ServiceConfig) {
    let topic = "/brands/{slug}/topics/{topic}";
    cfg.route("/brands/{slug}/claim", web::get().to(staff::show_claim))
        .route("/brands/{slug}/claim", web::post().to(staff::claim))
        .route("/claims/confirm", web::get().to(staff::show_confirm_claim))
        .route("/claims/confirm", web::post().to(staff::confirm_claim))
        .route(
            "/invitations/accept",
            web::get().to(staff::show_accept_invitation),
        )
        .route(
            "/invitations/accept",
            web::post().to(staff::accept_invitation),
        )
        .route("/brands/{slug}/team", web::get().to(staff::show_team))
        .route("/brands/{slug}/team", web::post().to(staff::add_staff))
        .route(
            "/brands/{slug}/team/target",
            web::post().to(staff::set_target),
        )
        .route(
            "/brands/{slug}/team/saved-replies",
            web::post().to(staff::saved_reply),
        )
        .route(
            "/brands/{slug}/team/rules",
            web::post().to(escalations::set_rules),
        )
        .route(
            "/brands/{slug}/insights",
            web::get().to(insights::show_brand),
        )
        .route(
            "/brands/{slug}/insights.csv",
            web::get().to(insights::export_csv),
        )
        .route(
            "/brands/{slug}/champions",
            web::post().to(insights::set_champion),
        )
        .route("/admin/insights", web::get().to(insights::show_site))
        .route("/brands/{slug}/queue", web::get().to(staff::show_queue))
        .route("/brands/{slug}/widget", web::get().to(widget::show))
        .route("/brands/{slug}/widget", web::post().to(widget::ask))
        .route(
            "/brands/{slug}/team/widget",
            web::post().to(widget::set_origins),
        )
        .route(
            "/brands/{slug}/team/sso",
            web::post().to(sso::set_brand_link),
        )
        // after the team's named forms, which this pattern would take for user ids
        .route(
            "/brands/{slug}/team/{user_id}",
            web::post().to(staff::change_staff),
        )
        .route("/admin/sso", web::get().to(sso::show_providers))
        .route("/admin/sso", web::post().to(sso::add_provider))
        .route(
            "/admin/sso/{id}/delete",
            web::post().to(sso::delete_provider),
        )
        .route("/widget.js", web::get().to(widget::loader))
        .route("/brands/{slug}/voices", web::get().to(voices::show))
        .route("/brands/{slug}/feeds", web::post().to(voices::add_feed))
        .route("/feeds/{id}/delete", web::post().to(voices::delete_feed))
        .route("/voices/{id}", web::post().to(voices::decide))
        .route("/brands/{slug}/fields", web::get().to(fields::show))
        .route("/brands/{slug}/fields", web::post().to(fields::create))
        .route("/fields/{id}/delete", web::post().to(fields::delete))
        .route("/brands/{slug}/webhooks", web::get().to(webhooks::show))
        .route("/brands/{slug}/webhooks", web::post().to(webhooks::create))
        .route("/webhooks/{id}", web::get().to(webhooks::log))
        .route("/webhooks/{id}/delete", web::post().to(webhooks::delete))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            web::post().to(webhooks::redeliver),
        )
        .route("/brands/{slug}/approvals", web::get().to(approvals::show))
        .route("/pending-replies/{id}", web::post().to(approvals::decide))
        .route(
            "/brands/{slug}/reverify",
            web::get().to(approvals::show_reverify),
        )
        .route(
            "/replies/{id}/verification",
            web::post().to(approvals::verify),
        )
        .route(
            "/brands/{slug}/notice",
            web::post().to(escalations::set_notice),
        )
        .route("/brands/{slug}/queue", web::post().to(staff::bulk))
        .route(
            "/brands/{slug}/moderation",
            web::get().to(admin::show_moderation),
        )
        .route("/flags/{id}/dismiss", web::post().to(admin::dismiss_flag))
        .route("/admin", web::get().to(admin::show_admin))
        .route("/admin/claims/{id}", web::post().to(admin::decide_claim))
        .route("/admin/revoke", web::post().to(admin::revoke_claim))
        .route("/admin/ban", web::post().to(admin::ban))
        .route("/admin/mail", web::get().to(escalations::show_mail))
        .route(
            "/admin/mail/{id}/retry",
            web::post().to(escalations::retry_mail),
        )
        .route(
            "/escalations/acknowledge",
            web::get().to(escalations::show_acknowledge),
        )
        .route(
            "/escalations/acknowledge",
            web::post().to(escalations::acknowledge),
        )
        .route(
            "/escalations/{id}/{action}",
            web::post().to(escalations::change),
        )
        .route(
            "/brands/{slug}/escalations",
            web::get().to(escalations::show_escalations),
        )
        .route(
            "/settings/notifications",
            web::post().to(escalations::set_notifications),
        )
        .route(
            &format!("{topic}/escalate"),
            web::post().to(escalations::escalate),
        )
        .route(
            &format!("{topic}/request-help"),
            web::post().to(escalations::request_help),
        )
        .route(&format!("{topic}/assign"), web::post().to(workflow::assign))
        .route(
            &format!("{topic}/status"),
            web::post().to(workflow::set_status),
        )
        .route(
            &format!("{topic}/notes"),
            web::post().to(workflow::add_note),
        )
        .route(&format!("{topic}/flag"), web::post().to(workflow::flag))
        .route(&format!("{topic}/lock"), web::post().to(workflow::lock))
        .route(&format!("{topic}/hide"), web::post().to(workflow::hide))
        .route(&format!("{topic}/merge"), web::post().to(workflow::merge))
        .route(
            &format!("{topic}/move"),
            web::post().to(workflow::move_topic),
        );
}
