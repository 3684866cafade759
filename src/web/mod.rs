//! The HTML side: pages, their routes, and what every response passes through.

pub mod accounts;
pub mod assets;
pub mod brands;
pub mod client;
pub mod errors;
pub mod feeds;
pub mod forms;
pub mod lists;
pub mod middleware;
pub mod page;
pub mod profiles;
pub mod session;
pub mod templates;
pub mod topics;

use actix_web::{HttpRequest, HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(brands::home))
        .route("/healthz", web::get().to(healthz))
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
    cfg.route("/users/{username}", web::get().to(profiles::profile))
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
        .route(
            &format!("{topic}/follow"),
            web::post().to(topics::follow_topic),
        )
        .route(&format!("{topic}/accept"), web::post().to(topics::accept))
        .route(&format!("{topic}/helpful"), web::post().to(topics::helpful))
        .route(&format!("{topic}/edit"), web::get().to(topics::show_edit))
        .route(&format!("{topic}/edit"), web::post().to(topics::edit));
}
