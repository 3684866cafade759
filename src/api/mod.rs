//! The JSON API under /api/v1: the contract of shared/API.md.

pub mod accounts;
pub mod communities;
pub mod json;

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
            ),
    );
}

const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
