//! Who is signed in (session cookie or bearer token), the cookies that carry it, and the
//! CSRF token every state-changing form and cookie-authenticated API call must present.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::errors;
use crate::app::AppState;
use crate::error::AppError;
use crate::model::session::{self, Session, SessionKind};
use crate::model::{now, user::User};

pub const SESSION_COOKIE: &str = "kotae_session";
pub const CSRF_COOKIE: &str = "kotae_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in member and how they proved it.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    pub token: String,
    pub via: SessionKind,
}

/// The per-browser seed of the CSRF token, from the cookie or freshly made.
#[derive(Clone, Debug)]
pub struct CsrfSeed {
    pub value: String,
    pub is_new: bool,
}

/// The CSRF token forms carry for this request.
pub fn csrf_token(req: &HttpRequest, state: &AppState) -> String {
    let seed = req
        .extensions()
        .get::<CsrfSeed>()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    state.key.sign("csrf", &seed)
}

/// Whether `presented` is this browser's CSRF token.
pub fn csrf_matches(req: &HttpRequest, state: &AppState, presented: &str) -> bool {
    let Some(seed) = req.cookie(CSRF_COOKIE) else {
        return false;
    };
    !seed.value().is_empty() && state.key.verify("csrf", seed.value(), presented)
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Resolves the viewer once per request (cached in the request's extensions).
pub async fn viewer(req: &HttpRequest) -> Result<Option<SignedIn>, AppError> {
    if let Some(cached) = req.extensions().get::<Option<SignedIn>>() {
        return Ok(cached.clone());
    }
    let state = app_state(req)?;
    let found = match bearer_token(req) {
        Some(token) => lookup(&state, token, SessionKind::Api).await?,
        None => match req.cookie(SESSION_COOKIE) {
            Some(cookie) if !cookie.value().is_empty() => {
                lookup(&state, cookie.value().to_string(), SessionKind::Web).await?
            }
            _ => None,
        },
    };
    req.extensions_mut().insert(found.clone());
    Ok(found)
}

async fn lookup(
    state: &AppState,
    token: String,
    kind: SessionKind,
) -> Result<Option<SignedIn>, AppError> {
    if token.len() > 128 {
        return Ok(None);
    }
    state
        .services
        .db
        .run(move |c| {
            let at = now();
            let Some((session, user)) = session::find_live(c, &token, kind, at)? else {
                return Ok(None);
            };
            // extend sessions in use, but at most hourly, so reading stays free of writes
            if at - session.last_seen_at > chrono::Duration::hours(1) {
                session::touch(c, session.id, kind, at)?;
            }
            Ok(Some(SignedIn {
                user,
                session,
                token,
                via: kind,
            }))
        })
        .await
}

pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

/// The viewer, if any.
pub struct MaybeUser(pub Option<SignedIn>);

/// A signed-in viewer; others get 401 (API) or the sign-in page (pages). A cookie-based
/// API call that changes state must carry the CSRF header.
pub struct CurrentUser(pub SignedIn);

impl FromRequest for MaybeUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            viewer(&req)
                .await
                .map(MaybeUser)
                .map_err(|e| errors::for_request(&req, e))
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let signed_in = viewer(&req)
                .await
                .and_then(|v| v.ok_or(AppError::Unauthorized))
                .map_err(|e| errors::for_request(&req, e))?;
            let changes_state =
                !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if errors::is_api(&req) && signed_in.via == SessionKind::Web && changes_state {
                let state = app_state(&req).map_err(|e| errors::for_request(&req, e))?;
                let presented = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !csrf_matches(&req, &state, presented) {
                    return Err(errors::for_request(&req, AppError::Forbidden));
                }
            }
            Ok(CurrentUser(signed_in))
        })
    }
}

/// The session cookie for a fresh sign-in.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(SessionKind::Web.lifetime().num_days()))
        .finish()
}

/// A cookie that deletes `name`.
pub fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// A new CSRF seed cookie; rotated at sign-in and sign-out.
pub fn csrf_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}
