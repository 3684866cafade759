//! Account pages: sign-up, sign-in and out, verification, password reset, settings.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::client::client_ip;
use super::errors::PageError;
use super::forms::CheckedForm;
use super::page::{Page, lang_of, redirect, redirect_with_flash, rotate_csrf, safe_local_path};
use super::session::{
    self, CurrentUser, MaybeUser, SESSION_COOKIE, removal_cookie, session_cookie,
};
use crate::app::AppState;
use crate::error::{AppError, FieldError};
use crate::model::session::SessionKind;
use crate::service::account::{self, SignUp};
use crate::service::sso;

type PageResult = Result<HttpResponse, PageError>;

/// Re-renders `template` with the field errors when the use case refused the input.
async fn form_or_error(
    req: &HttpRequest,
    outcome: Result<HttpResponse, AppError>,
    template: &str,
    title_key: &str,
    values: &[(&'static str, &str)],
) -> PageResult {
    match outcome {
        Ok(response) => Ok(response),
        Err(AppError::Validation(errors) | AppError::Taken(errors)) => {
            let mut page = Page::new(req, title_key).await?;
            page.insert_errors(&errors);
            for (key, value) in values {
                page.insert(key, value);
            }
            page.render_with_status(req, template, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn show_sign_up(req: HttpRequest) -> PageResult {
    Page::new(&req, "sign_up.title")
        .await?
        .render(&req, "accounts/sign_up.html")
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<SignUpForm>,
) -> PageResult {
    let form = form.0;
    let client = client_ip(&req, &state.config.trusted_proxies);
    let lang = lang_of(&req, None);
    let input = SignUp {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        language: lang,
    };
    let outcome = async {
        let created = account::sign_up(&state.services, input, client).await?;
        let (_, token) = account::sign_in(
            &state.services,
            &created.username,
            form.password.clone(),
            client,
            SessionKind::Web,
        )
        .await?;
        signed_in_redirect(&req, &state, &token, "/", "success", "flash.signed_up")
    }
    .await;
    form_or_error(
        &req,
        outcome,
        "accounts/sign_up.html",
        "sign_up.title",
        &[("username", &form.username), ("email", &form.email)],
    )
    .await
}

fn signed_in_redirect(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    to: &str,
    kind: &str,
    flash_key: &str,
) -> Result<HttpResponse, AppError> {
    let mut response = redirect_with_flash(req, to, kind, flash_key).map_err(|e| e.0)?;
    response
        .add_cookie(&session_cookie(token, state.secure_cookies))
        .map_err(|e| AppError::Internal(e.into()))?;
    rotate_csrf(req);
    Ok(response)
}

pub async fn show_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    let next = safe_local_path(query.next.as_deref().unwrap_or("/"));
    sign_in_page(&req, &state, next, "", &[], StatusCode::OK).await
}

/// The sign-in page, with the single sign-on providers and any errors of the last try.
pub async fn sign_in_page(
    req: &HttpRequest,
    state: &AppState,
    next: &str,
    login: &str,
    errors: &[FieldError],
    status: StatusCode,
) -> PageResult {
    let providers = state.services.db.run(sso::public_providers).await?;
    let mut page = Page::new(req, "sign_in.title").await?;
    page.insert("next", next);
    let next_query: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    page.insert("next_query", &next_query);
    page.insert("login", login);
    page.insert("providers", &providers);
    page.insert_errors(errors);
    page.render_with_status(req, "accounts/sign_in.html", status)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<SignInForm>,
) -> PageResult {
    let form = form.0;
    let client = client_ip(&req, &state.config.trusted_proxies);
    let next = safe_local_path(&form.next).to_string();
    let outcome = async {
        let (_, token) = account::sign_in(
            &state.services,
            &form.login,
            form.password.clone(),
            client,
            SessionKind::Web,
        )
        .await?;
        signed_in_redirect(&req, &state, &token, &next, "success", "flash.signed_in")
    }
    .await;
    match outcome {
        Err(AppError::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            sign_in_page(&req, &state, &next, &form.login, &errors, status).await
        }
        other => Ok(other?),
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CheckedForm<EmptyForm>,
) -> PageResult {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        account::sign_out(&state.services, cookie.value().to_string()).await?;
    }
    let mut response = redirect_with_flash(&req, "/", "info", "flash.signed_out")?;
    response
        .add_cookie(&removal_cookie(SESSION_COOKIE))
        .map_err(|e| AppError::Internal(e.into()))?;
    rotate_csrf(&req);
    Ok(response)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The page a verification link opens: one click confirms, so mail scanners verify nothing.
pub async fn show_verify(req: HttpRequest, query: web::Query<TokenQuery>) -> PageResult {
    let mut page = Page::new(&req, "verify.title").await?;
    page.insert("token", &query.token);
    page.render(&req, "accounts/verify.html")
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<TokenForm>,
) -> PageResult {
    let outcome = account::verify_email(&state.services, &form.0.token)
        .await
        .and_then(|_| redirect_with_flash(&req, "/", "success", "flash.verified").map_err(|e| e.0));
    form_or_error(
        &req,
        outcome,
        "accounts/verify.html",
        "verify.title",
        &[("token", "")],
    )
    .await
}

pub async fn show_reset(req: HttpRequest) -> PageResult {
    Page::new(&req, "reset.title")
        .await?
        .render(&req, "accounts/reset.html")
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    email: String,
}

pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<ResetForm>,
) -> PageResult {
    let client = client_ip(&req, &state.config.trusted_proxies);
    let viewer = session::viewer(&req).await?;
    let lang = lang_of(&req, viewer.as_ref());
    let outcome = account::request_reset(&state.services, &form.0.email, lang, client)
        .await
        .and_then(|()| {
            redirect_with_flash(&req, "/sign-in", "info", "flash.reset_sent").map_err(|e| e.0)
        });
    form_or_error(
        &req,
        outcome,
        "accounts/reset.html",
        "reset.title",
        &[("email", &form.0.email)],
    )
    .await
}

pub async fn show_reset_confirm(req: HttpRequest, query: web::Query<TokenQuery>) -> PageResult {
    let mut page = Page::new(&req, "reset_confirm.title").await?;
    page.insert("token", &query.token);
    page.render(&req, "accounts/reset_confirm.html")
}

#[derive(Deserialize)]
pub struct ResetConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CheckedForm<ResetConfirmForm>,
) -> PageResult {
    let form = form.0;
    let outcome = async {
        let user =
            account::confirm_reset(&state.services, &form.token, form.password.clone()).await?;
        let token = state
            .services
            .db
            .run(move |c| {
                Ok(crate::model::session::create(
                    c,
                    user.id,
                    SessionKind::Web,
                    crate::model::now(),
                )?)
            })
            .await?;
        signed_in_redirect(
            &req,
            &state,
            &token,
            "/settings",
            "success",
            "flash.password_reset",
        )
    }
    .await;
    form_or_error(
        &req,
        outcome,
        "accounts/reset_confirm.html",
        "reset_confirm.title",
        &[("token", &form.token)],
    )
    .await
}

pub async fn show_settings(req: HttpRequest, me: CurrentUser) -> PageResult {
    let mut page = Page::new(&req, "settings.title").await?;
    page.insert("language", &me.0.user.language);
    page.render(&req, "accounts/settings.html")
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    language: String,
}

pub async fn update_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<ProfileForm>,
) -> PageResult {
    let form = form.0;
    let outcome = account::update_profile(
        &state.services,
        &me.0.user,
        &form.display_name,
        &form.language,
    )
    .await
    .and_then(|()| {
        redirect_with_flash(&req, "/settings", "success", "flash.settings_saved").map_err(|e| e.0)
    });
    settings_or_error(&req, &me, outcome, "profile").await
}

/// The settings page again with the errors of `form` (its forms share field names).
async fn settings_or_error(
    req: &HttpRequest,
    me: &CurrentUser,
    outcome: Result<HttpResponse, AppError>,
    form: &str,
) -> PageResult {
    let language = me.0.user.language.clone();
    let values = [("language", language.as_str()), ("failed_form", form)];
    form_or_error(
        req,
        outcome,
        "accounts/settings.html",
        "settings.title",
        &values,
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<PasswordForm>,
) -> PageResult {
    let form = form.0;
    let outcome = account::change_password(
        &state.services,
        &me.0.user,
        Some(me.0.session.id),
        form.current_password,
        form.new_password,
    )
    .await
    .and_then(|()| {
        redirect_with_flash(&req, "/settings", "success", "flash.password_changed").map_err(|e| e.0)
    });
    settings_or_error(&req, &me, outcome, "password").await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CheckedForm<EmailForm>,
) -> PageResult {
    let form = form.0;
    let outcome = account::change_email(
        &state.services,
        &me.0.user,
        form.current_password,
        &form.email,
    )
    .await
    .and_then(|()| {
        redirect_with_flash(&req, "/settings", "info", "flash.email_change_sent").map_err(|e| e.0)
    });
    settings_or_error(&req, &me, outcome, "email").await
}

pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    _form: CheckedForm<EmptyForm>,
) -> PageResult {
    account::resend_verification(&state.services, &me.0.user).await?;
    redirect_with_flash(&req, "/settings", "info", "flash.verification_sent")
}

pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: CurrentUser,
    _form: CheckedForm<EmptyForm>,
) -> PageResult {
    account::sign_out_everywhere(&state.services, &me.0.user).await?;
    let mut response =
        redirect_with_flash(&req, "/sign-in", "info", "flash.signed_out_everywhere")?;
    response
        .add_cookie(&removal_cookie(SESSION_COOKIE))
        .map_err(|e| AppError::Internal(e.into()))?;
    rotate_csrf(&req);
    Ok(response)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    return_to: String,
}

/// The language switch: a cookie for everyone, the setting for members.
pub async fn switch_language(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    form: CheckedForm<LanguageForm>,
) -> PageResult {
    let lang = crate::i18n::Lang::parse(&form.0.lang)
        .ok_or_else(|| AppError::invalid("lang", "language_invalid", "choose en or ja"))?;
    if let Some(me) = &viewer.0 {
        account::set_language(&state.services, &me.user, lang).await?;
    }
    let mut response = redirect(&form.0.return_to);
    let cookie = actix_web::cookie::Cookie::build(super::page::LANG_COOKIE, lang.code())
        .path("/")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    response
        .add_cookie(&cookie)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}
