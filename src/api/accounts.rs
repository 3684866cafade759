//! Accounts API: sign-up, verification, tokens, password reset, the caller's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::i18n::Lang;
use crate::model::session::SessionKind;
use crate::model::user::User;
use crate::service::account::{self, SignUp};
use crate::web::client::client_ip;
use crate::web::errors::ApiError;
use crate::web::page::lang_of;
use crate::web::session::CurrentUser;

type ApiResult = Result<HttpResponse, ApiError>;

fn user_summary(user: &User) -> serde_json::Value {
    json!({ "id": user.id, "username": user.username })
}

#[derive(Deserialize)]
pub struct NewAccount {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    language: Option<String>,
}

/// POST /accounts
pub async fn create_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewAccount>,
) -> ApiResult {
    let body = body.into_inner();
    let language = body
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| lang_of(&req, None));
    let input = SignUp {
        username: body.username,
        email: body.email,
        password: body.password,
        language,
    };
    let user = account::sign_up(
        &state.services,
        input,
        client_ip(&req, &state.config.trusted_proxies),
    )
    .await?;
    Ok(HttpResponse::Created().json(user_summary(&user)))
}

#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    token: String,
}

/// POST /accounts/verify
pub async fn verify_account(state: web::Data<AppState>, body: web::Json<TokenBody>) -> ApiResult {
    let user = account::verify_email(&state.services, &body.token).await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": user.id, "username": user.username, "email": user.email, "email_verified": user.email_verified,
    })))
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// POST /tokens
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> ApiResult {
    let body = body.into_inner();
    let client = client_ip(&req, &state.config.trusted_proxies);
    let (user, token) = account::sign_in(
        &state.services,
        &body.login,
        body.password,
        client,
        SessionKind::Api,
    )
    .await?;
    Ok(HttpResponse::Created().json(json!({ "token": token, "user": user_summary(&user) })))
}

/// DELETE /tokens/current: ends the token (or cookie session) the call came with.
pub async fn delete_current_token(state: web::Data<AppState>, me: CurrentUser) -> ApiResult {
    account::sign_out(&state.services, me.0.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct ResetRequest {
    #[serde(default)]
    email: String,
}

/// POST /password-resets: 202 whether or not an account uses the address.
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> ApiResult {
    let client = client_ip(&req, &state.config.trusted_proxies);
    account::request_reset(&state.services, &body.email, lang_of(&req, None), client).await?;
    Ok(HttpResponse::Accepted().json(json!({ "status": "accepted" })))
}

#[derive(Deserialize)]
pub struct ResetConfirm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// POST /password-resets/confirm
pub async fn confirm_reset(state: web::Data<AppState>, body: web::Json<ResetConfirm>) -> ApiResult {
    let body = body.into_inner();
    let user = account::confirm_reset(&state.services, &body.token, body.password).await?;
    Ok(HttpResponse::Ok().json(user_summary(&user)))
}

/// GET /me
pub async fn me(state: web::Data<AppState>, me: CurrentUser) -> ApiResult {
    let user = &me.0.user;
    let id = user.id;
    let brands = state
        .services
        .db
        .run(move |c| Ok(crate::model::member::brands_of(c, id)?))
        .await?;
    let brands: Vec<_> = brands
        .iter()
        .map(|(slug, name, role)| json!({ "slug": slug, "name": name, "role": role }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "site_admin": user.site_admin,
        "display_name": user.display_name,
        "language": user.language,
        "brands": brands,
    })))
}
