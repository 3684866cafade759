//! The JSON API under /api/v1: the contract of shared/API.md.

pub mod accounts;

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
            .route("/me", web::get().to(accounts::me)),
    );
}

const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
