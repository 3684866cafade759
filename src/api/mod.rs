//! The JSON API under /api/v1: the contract of shared/API.md.

pub mod accounts;
pub mod answering;
pub mod communities;
pub mod escalations;
pub mod insights;
pub mod integrations;
pub mod json;
pub mod search;
pub mod sso;
pub mod staff;

use actix_web::{HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi))
            .route("/accounts", web::post().to(accounts::create_account))
            .route("/accounts/verify", web::post().to(accounts::verify_account))
            .route("/tokens", web::post().to(accounts::create_token))
            .route(
                "/tokens/current",
                web::delete().to(accounts::delete_current_token),
            )
            .route("/password-resets", web::post().to(accounts::request_reset))
            .route(
                "/password-resets/confirm",
                web::post().to(accounts::confirm_reset),
            )
            .route("/me", web::get().to(accounts::me))
            .route("/brands", web::get().to(communities::list_brands))
            .route("/brands", web::post().to(communities::create_brand))
            .route("/brands/{slug}", web::get().to(communities::show_brand))
            .route(
                "/brands/{slug}/products",
                web::post().to(communities::add_product),
            )
            .route(
                "/brands/{slug}/follow",
                web::post().to(communities::follow_brand),
            )
            .route(
                "/brands/{slug}/follow",
                web::delete().to(communities::follow_brand),
            )
            .route(
                "/brands/{slug}/topics",
                web::get().to(communities::list_topics),
            )
            .route(
                "/brands/{slug}/topics",
                web::post().to(communities::create_topic),
            )
            .route("/topics/{id}", web::get().to(communities::show_topic))
            .route("/topics/{id}", web::patch().to(communities::edit_topic))
            .route(
                "/topics/{id}/replies",
                web::post().to(communities::create_reply),
            )
            .route("/topics/{id}/me-too", web::post().to(communities::me_too))
            .route(
                "/topics/{id}/fixed",
                web::post().to(answering::answer_fixed),
            )
            .route(
                "/brands/{slug}/notice",
                web::put().to(answering::pin_notice),
            )
            .route(
                "/brands/{slug}/notice",
                web::delete().to(answering::unpin_notice),
            )
            .route(
                "/escalations/{id}/topics",
                web::get().to(answering::incident_topics),
            )
            .route(
                "/brands/{slug}/response-times",
                web::put().to(answering::set_response_times),
            )
            .route(
                "/brands/{slug}/approvals",
                web::get().to(answering::approvals),
            )
            .route(
                "/pending-replies/{id}/{action}",
                web::post().to(answering::decide),
            )
            .route(
                "/replies/{id}/verification",
                web::put().to(answering::set_verification),
            )
            .route(
                "/brands/{slug}/reverify",
                web::get().to(answering::reverify),
            )
            .route("/topics/{id}/me-too", web::delete().to(communities::me_too))
            .route("/topics/{id}/accept", web::post().to(communities::accept))
            .route(
                "/topics/{id}/follow",
                web::post().to(communities::follow_topic),
            )
            .route(
                "/topics/{id}/follow",
                web::delete().to(communities::follow_topic),
            )
            .route(
                "/replies/{id}/helpful",
                web::post().to(communities::helpful),
            )
            .configure(staff_routes)
            .configure(integration_routes),
    );
}

/// Webhooks, inbound mail, the brands' extra fields, external feeds and voices, single sign-on.
fn integration_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/brands/{slug}/webhooks", web::get().to(integrations::list))
        .route(
            "/brands/{slug}/webhooks",
            web::post().to(integrations::create),
        )
        .route("/webhooks/{id}", web::delete().to(integrations::delete))
        .route(
            "/webhooks/{id}/deliveries",
            web::get().to(integrations::deliveries),
        )
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            web::post().to(integrations::redeliver),
        )
        .route(
            "/brands/{slug}/fields",
            web::get().to(integrations::list_fields),
        )
        .route(
            "/brands/{slug}/fields",
            web::post().to(integrations::create_field),
        )
        .route("/fields/{id}", web::delete().to(integrations::delete_field))
        .route(
            "/brands/{slug}/feeds",
            web::get().to(integrations::list_feeds),
        )
        .route(
            "/brands/{slug}/feeds",
            web::post().to(integrations::add_feed),
        )
        .route("/feeds/{id}", web::delete().to(integrations::delete_feed))
        .route("/brands/{slug}/voices", web::get().to(integrations::voices))
        .route(
            "/brands/{slug}/widget",
            web::get().to(integrations::widget_settings),
        )
        .route(
            "/brands/{slug}/widget",
            web::put().to(integrations::set_widget_origins),
        )
        .route(
            "/voices/{id}/topic",
            web::post().to(integrations::voice_to_topic),
        )
        .route(
            "/voices/{id}/dismiss",
            web::post().to(integrations::dismiss_voice),
        )
        .route("/admin/oidc-providers", web::get().to(sso::list))
        .route("/admin/oidc-providers", web::post().to(sso::create))
        .route("/admin/oidc-providers/{id}", web::delete().to(sso::delete))
        .route("/brands/{slug}/sso", web::get().to(sso::brand_link))
        .route("/brands/{slug}/sso", web::put().to(sso::set_brand_link))
        .service(
            web::resource("/mail/inbound")
                .app_data(web::PayloadConfig::new(crate::mail::inbound::INBOUND_MAX))
                .route(web::post().to(integrations::inbound_mail)),
        );
}

/// Claims, staff, the queue, the workflow and moderation.
fn staff_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/brands/{slug}/claims",
        web::post().to(staff::request_claim),
    )
    .route("/claims/confirm", web::post().to(staff::confirm_claim))
    .route("/admin/claims", web::get().to(staff::list_claims))
    .route(
        "/admin/claims/{id}/{action}",
        web::post().to(staff::decide_claim),
    )
    .route(
        "/admin/brands/{slug}/revoke-claim",
        web::post().to(staff::revoke_claim),
    )
    .route("/admin/users/{username}/ban", web::post().to(staff::ban))
    .route(
        "/admin/users/{username}/ban",
        web::delete().to(staff::unban),
    )
    .route("/brands/{slug}/staff", web::get().to(staff::list_staff))
    .route("/brands/{slug}/staff", web::post().to(staff::add_staff))
    .route(
        "/brands/{slug}/staff/{user_id}",
        web::patch().to(staff::update_staff),
    )
    .route(
        "/brands/{slug}/staff/{user_id}",
        web::delete().to(staff::remove_staff),
    )
    .route(
        "/invitations/accept",
        web::post().to(staff::accept_invitation),
    )
    .route(
        "/brands/{slug}/settings",
        web::put().to(staff::update_settings),
    )
    .route(
        "/brands/{slug}/saved-replies",
        web::get().to(staff::list_saved_replies),
    )
    .route(
        "/brands/{slug}/saved-replies",
        web::post().to(staff::add_saved_reply),
    )
    .route(
        "/saved-replies/{id}",
        web::delete().to(staff::delete_saved_reply),
    )
    .route("/brands/{slug}/insights", web::get().to(insights::brand))
    .route("/admin/insights", web::get().to(insights::site))
    .route(
        "/brands/{slug}/champions/{username}",
        web::put().to(insights::champion),
    )
    .route(
        "/brands/{slug}/champions/{username}",
        web::delete().to(insights::champion),
    )
    .route("/brands/{slug}/queue", web::get().to(staff::queue))
    .route("/brands/{slug}/queue/bulk", web::post().to(staff::bulk))
    .route("/brands/{slug}/flags", web::get().to(staff::list_flags))
    .route("/flags/{id}/dismiss", web::post().to(staff::dismiss_flag))
    .route("/topics/{id}/assign", web::post().to(staff::assign))
    .route("/topics/{id}/status", web::post().to(staff::set_status))
    .route("/topics/{id}/notes", web::get().to(staff::list_notes))
    .route("/topics/{id}/notes", web::post().to(staff::add_note))
    .route("/topics/{id}/events", web::get().to(staff::events))
    .route("/topics/{id}/flags", web::post().to(staff::flag))
    .route("/topics/{id}/lock", web::post().to(staff::lock))
    .route("/topics/{id}/merge", web::post().to(staff::merge))
    .route("/topics/{id}/move", web::post().to(staff::move_topic))
    .route(
        "/topics/{id}/escalations",
        web::post().to(escalations::escalate),
    )
    .route(
        "/topics/{id}/request-help",
        web::post().to(escalations::request_help),
    )
    .route(
        "/escalations/acknowledge",
        web::post().to(escalations::acknowledge_by_link),
    )
    .route(
        "/escalations/{id}/{action}",
        web::post().to(escalations::act),
    )
    .route(
        "/brands/{slug}/escalations",
        web::get().to(escalations::list),
    )
    .route(
        "/brands/{slug}/escalation-rules",
        web::get().to(escalations::rules),
    )
    .route(
        "/brands/{slug}/escalation-rules",
        web::put().to(escalations::set_rules),
    )
    .route(
        "/me/notifications",
        web::get().to(escalations::notifications),
    )
    .route(
        "/me/notifications",
        web::put().to(escalations::set_notifications),
    )
    .route("/admin/mail", web::get().to(escalations::mail_queue))
    .route(
        "/admin/mail/{id}/retry",
        web::post().to(escalations::retry_mail),
    )
    .route("/search", web::get().to(search::search))
    .route("/brands/{slug}/similar", web::get().to(search::similar))
    .route(
        "/brands/{slug}/monitors",
        web::get().to(search::list_monitors),
    )
    .route(
        "/brands/{slug}/monitors",
        web::post().to(search::create_monitor),
    )
    .route("/monitors/{id}", web::delete().to(search::delete_monitor))
    .route(
        "/monitors/{id}/matches",
        web::get().to(search::monitor_matches),
    )
    .route("/topics/{id}/{action}", web::post().to(staff::hide_topic))
    .route("/replies/{id}/{action}", web::post().to(staff::hide_reply));
}

const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
