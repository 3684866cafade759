//! The HTML side: pages, their routes, and what every response passes through.

pub mod accounts;
pub mod assets;
pub mod client;
pub mod communities;
pub mod errors;
pub mod feeds;
pub mod forms;
pub mod middleware;
pub mod page;
pub mod session;
pub mod templates;

use actix_web::{HttpRequest, HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(communities::home))
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
        .configure(communities::routes);
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
