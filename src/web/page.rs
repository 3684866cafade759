//! Building a page: the context every template gets (language, viewer, CSRF token, flash),
//! rendering, and redirects that carry a flash message.

use std::collections::HashMap;

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use tera::Context;

use super::errors::PageError;
use super::page_cache::RenderingForCache;
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::error::{AppError, FieldError};
use crate::i18n::Lang;

pub const LANG_COOKIE: &str = "kotae_lang";
pub const FLASH_COOKIE: &str = "kotae_flash";

/// What a page handler returns.
pub type PageResult = Result<HttpResponse, PageError>;

/// The language of a request: the member's setting, the language cookie, Accept-Language.
pub fn lang_of(req: &HttpRequest, viewer: Option<&SignedIn>) -> Lang {
    viewer
        .and_then(|v| Lang::parse(&v.user.language))
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

#[derive(Serialize)]
struct ViewerView<'a> {
    username: &'a str,
    display_name: &'a str,
    email: &'a str,
    email_verified: bool,
    site_admin: bool,
}

/// A page being prepared.
pub struct Page {
    context: Context,
    had_flash: bool,
}

impl Page {
    /// The context for `req`, titled by the translation key `title_key`.
    pub async fn new(req: &HttpRequest, title_key: &str) -> Result<Page, PageError> {
        let state = session::app_state(req)?;
        let viewer = session::viewer(req).await?;
        let lang = lang_of(req, viewer.as_ref());
        let mut context = Context::new();
        context.insert("lang", lang.code());
        context.insert("errors", &HashMap::<String, String>::new());
        context.insert("failed_form", "");
        context.insert("page_title", "");
        context.insert("title_key", title_key);
        let token = match req.extensions().get::<RenderingForCache>() {
            Some(placeholder) => placeholder.0.clone(),
            None => session::csrf_token(req, &state),
        };
        context.insert("csrf_token", &token);
        context.insert("path", &current_path(req));
        if let Some(v) = &viewer {
            context.insert(
                "viewer",
                &ViewerView {
                    username: &v.user.username,
                    display_name: &v.user.display_name,
                    email: &v.user.email,
                    email_verified: v.user.email_verified,
                    site_admin: v.user.site_admin,
                },
            );
        }
        let flash = req
            .cookie(FLASH_COOKIE)
            .and_then(|c| read_flash(&state, c.value()));
        let had_flash = req.cookie(FLASH_COOKIE).is_some();
        if let Some((kind, key)) = flash {
            context.insert("flash", &HashMap::from([("kind", kind), ("key", key)]));
        }
        Ok(Page { context, had_flash })
    }

    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.context.insert(key, value);
    }

    /// Field errors for the form, keyed by field, as `{code, message}`.
    pub fn insert_errors(&mut self, errors: &[FieldError]) {
        let by_field: HashMap<&str, &FieldError> = errors.iter().map(|e| (e.field, e)).collect();
        self.context.insert("errors", &by_field);
    }

    /// Renders with 200.
    pub fn render(self, req: &HttpRequest, template: &str) -> Result<HttpResponse, PageError> {
        self.render_with_status(req, template, actix_web::http::StatusCode::OK)
    }

    pub fn render_with_status(
        self,
        req: &HttpRequest,
        template: &str,
        status: actix_web::http::StatusCode,
    ) -> Result<HttpResponse, PageError> {
        let state = session::app_state(req)?;
        let html = state
            .tera
            .render(template, &self.context)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template {template}: {e}")))?;
        let mut response = HttpResponse::build(status);
        response.content_type("text/html; charset=utf-8");
        if self.had_flash {
            response.cookie(session::removal_cookie(FLASH_COOKIE));
        }
        Ok(response.body(html))
    }
}

fn current_path(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        // never echo tokens from the query into forms and links
        Some(pq) if !pq.as_str().contains("token=") => pq.as_str().to_string(),
        _ => req.path().to_string(),
    }
}

/// A flash message shown once on the next page: a kind (success, info, error) and a
/// translation key, signed so nobody can plant text.
pub fn flash_cookie(state: &AppState, kind: &str, key: &str) -> Cookie<'static> {
    let message = format!("{kind}.{key}");
    let value = format!("{message}.{}", state.key.sign("flash", &message));
    Cookie::build(FLASH_COOKIE, value)
        .path("/")
        .http_only(true)
        .finish()
}

fn read_flash(state: &AppState, value: &str) -> Option<(String, String)> {
    let (message, signature) = value.rsplit_once('.')?;
    if !state.key.verify("flash", message, signature) {
        return None;
    }
    let (kind, key) = message.split_once('.')?;
    let known = !crate::i18n::t(Lang::En, key).is_empty();
    known.then(|| (kind.to_string(), key.to_string()))
}

/// 303 See Other to a path on this site.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_local_path(to)))
        .finish()
}

/// Redirect with a flash message for the next page.
pub fn redirect_with_flash(
    req: &HttpRequest,
    to: &str,
    kind: &str,
    key: &str,
) -> Result<HttpResponse, PageError> {
    let state = session::app_state(req)?;
    let mut response = redirect(to);
    response
        .add_cookie(&flash_cookie(&state, kind, key))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

/// Only paths on this site: "/x" yes; "//evil", "/\\evil", "https://evil" become "/".
pub fn safe_local_path(to: &str) -> &str {
    let local = to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\");
    if local && !to.chars().any(|c| c.is_control()) {
        to
    } else {
        "/"
    }
}

/// Marks that a handler consumed the request's CSRF seed (so the middleware sets a new one).
pub fn rotate_csrf(req: &HttpRequest) {
    req.extensions_mut().insert(session::CsrfSeed {
        value: crate::secret::random_token(),
        is_new: true,
    });
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn redirects_stay_on_the_site() {
        assert_eq!(safe_local_path("/settings?x=1"), "/settings?x=1");
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_local_path(evil), "/", "{evil}");
        }
    }
}
