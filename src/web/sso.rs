//! Single sign-on pages: leaving for a provider and coming back, the site admin's providers,
//! and the provider a brand links on its team page.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::accounts::sign_in_page;
use super::client::client_ip;
use super::errors::PageError;
use super::forms::CheckedForm;
use super::page::{Page, PageResult, lang_of, redirect_with_flash, rotate_csrf, safe_local_path};
use super::session::{CurrentUser, removal_cookie, session_cookie};
use super::staff::act;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::ProviderId;
use crate::service::sso::{self, BrandLinkInput, Callback, ProviderInput};

/// The cookie holding the state of the sign-in this browser started.
pub const STATE_COOKIE: &str = "kotae_sso";

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

/// GET /sso/{id}/start: off to the provider. A link, not a form: the pages' CSP keeps forms
/// to this site, and a browser applies that to a form's redirect too. Starting is harmless
/// to force on someone: it only ends in signing them in as themselves, in their own browser.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<StartQuery>,
) -> PageResult {
    let next = safe_local_path(&query.next).to_string();
    let client = client_ip(&req, &state.config.trusted_proxies);
    let outcome = sso::start(
        &state.services,
        &state.outbound,
        &state.base_url,
        ProviderId(*id),
        next.clone(),
        client,
    )
    .await;
    match outcome {
        Ok((url, login_state)) => {
            let cookie = Cookie::build(STATE_COOKIE, login_state)
                .path("/sso")
                .http_only(true)
                .secure(state.secure_cookies)
                .same_site(SameSite::Lax)
                .max_age(CookieDuration::minutes(sso::LOGIN_MINUTES))
                .finish();
            Ok(HttpResponse::SeeOther()
                .insert_header(("location", url))
                .cookie(cookie)
                .finish())
        }
        Err(AppError::Validation(errors)) => {
            sign_in_page(&req, &state, &next, "", &errors, StatusCode::BAD_GATEWAY).await
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /sso/{id}/callback: back from the provider.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    back: web::Query<Callback>,
) -> PageResult {
    let kept = req.cookie(STATE_COOKIE).map(|c| c.value().to_string());
    let outcome = sso::finish(
        &state.services,
        &state.outbound,
        &state.base_url,
        ProviderId(*id),
        back.into_inner(),
        kept,
        lang_of(&req, None),
    )
    .await;
    let mut response = match outcome {
        Ok(done) => {
            let mut response =
                redirect_with_flash(&req, &done.return_to, "success", "flash.signed_in")?;
            response
                .add_cookie(&session_cookie(&done.token, state.secure_cookies))
                .map_err(|e| PageError(AppError::Internal(e.into())))?;
            rotate_csrf(&req);
            response
        }
        Err(AppError::Validation(errors)) => {
            sign_in_page(&req, &state, "/", "", &errors, StatusCode::FORBIDDEN).await?
        }
        Err(other) => return Err(other.into()),
    };
    let mut gone = removal_cookie(STATE_COOKIE);
    gone.set_path("/sso");
    response
        .add_cookie(&gone)
        .map_err(|e| PageError(AppError::Internal(e.into())))?;
    Ok(response)
}

/// GET /admin/sso: the site's providers and the form to add one.
pub async fn show_providers(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
) -> PageResult {
    let user = me.0.user;
    let providers = state
        .services
        .db
        .run(move |c| sso::providers(c, &user))
        .await?;
    providers_page(&req, &state, providers, None, StatusCode::OK).await
}

async fn providers_page(
    req: &HttpRequest,
    state: &AppState,
    providers: Vec<crate::model::oidc::Provider>,
    failed: Option<(&[crate::error::FieldError], &ProviderInput)>,
    status: StatusCode,
) -> PageResult {
    let mut page = Page::new(req, "sso.admin_title").await?;
    page.insert("providers", &providers);
    page.insert(
        "callback_base",
        &format!("{}/sso/", state.base_url.trim_end_matches('/')),
    );
    if let Some((errors, input)) = failed {
        page.insert_errors(errors);
        page.insert("name", &input.name);
        page.insert("issuer", &input.issuer);
        page.insert("client_id", &input.client_id);
        page.insert("scopes", &input.scopes);
    }
    page.render_with_status(req, "admin/sso.html", status)
}

/// POST /admin/sso: adds a provider.
pub async fn add_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<ProviderInput>,
) -> PageResult {
    let input = form.0;
    let user = me.0.user;
    let outcome = sso::add_provider(
        &state.services,
        &state.outbound,
        state.config.webhook_allow_private,
        &user,
        input.clone(),
    )
    .await;
    match outcome {
        Ok(_) => redirect_with_flash(&req, "/admin/sso", "success", "flash.settings_saved"),
        Err(AppError::Validation(errors) | AppError::Taken(errors)) => {
            let providers = state
                .services
                .db
                .run(move |c| sso::providers(c, &user))
                .await?;
            let failed = Some((errors.as_slice(), &input));
            providers_page(
                &req,
                &state,
                providers,
                failed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/sso/{id}/delete
pub async fn delete_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CheckedForm<EmptyForm>,
) -> PageResult {
    let (user, id) = (me.0.user, ProviderId(*id));
    act(
        &req,
        &state,
        "/admin/sso",
        "flash.settings_saved",
        move |c| sso::delete_provider(c, &user, id),
    )
    .await
}

#[derive(Deserialize)]
pub struct EmptyForm {}

#[derive(Deserialize)]
pub struct BrandLinkForm {
    #[serde(default)]
    provider_id: String,
    #[serde(default)]
    staff_only: Option<String>,
}

/// POST /brands/{slug}/team/sso: links (or unlinks) the brand's provider.
pub async fn set_brand_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    form: CheckedForm<BrandLinkForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let to = format!("/brands/{slug}/team#sso");
    let (user, mine) = (me.0.user, me.0.session.provider_id);
    let input = BrandLinkInput {
        provider_id: form.0.provider_id.trim().parse().ok(),
        staff_only: form.0.staff_only.is_some(),
    };
    let outcome = state
        .services
        .db
        .run(move |c| sso::set_brand_link(c, &user, mine, &slug, &input))
        .await;
    match outcome {
        Ok(_) => redirect_with_flash(&req, &to, "success", "flash.settings_saved"),
        Err(AppError::Validation(errors)) if errors.iter().any(|e| e.code == "sso_try_first") => {
            redirect_with_flash(&req, &to, "error", "flash.sso_try_first")
        }
        Err(AppError::Validation(_)) => {
            redirect_with_flash(&req, &to, "error", "flash.action_invalid")
        }
        Err(other) => Err(other.into()),
    }
}
