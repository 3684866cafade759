//! What every response passes through: error pages in the viewer's language, security and
//! cache headers, the CSRF seed cookie, the request metrics, and one log line per request.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use tracing::Instrument;

use super::errors::{ErrorPage, is_api};
use super::page::Page;
use super::session::{self, CSRF_COOKIE, CsrfSeed, SESSION_COOKIE};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Runs the request inside a span that carries its id, so every log line of it can be found.
pub async fn frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = hex::encode(rand::random::<[u8; 6]>());
    let span = tracing::info_span!("request", id = %request_id);
    respond(req, next, request_id).instrument(span).await
}

async fn respond(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    request_id: String,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.path().to_string());
    let wants_page = !is_api(req.request()) && !path.starts_with("/assets/");
    if wants_page {
        let seed = match req.cookie(CSRF_COOKIE) {
            Some(c) if !c.value().is_empty() => CsrfSeed {
                value: c.value().to_string(),
                is_new: false,
            },
            _ => CsrfSeed {
                value: crate::secret::random_token(),
                is_new: true,
            },
        };
        req.extensions_mut().insert(seed);
    }
    let had_credentials =
        req.cookie(SESSION_COOKIE).is_some() || req.headers().contains_key(header::AUTHORIZATION);
    let mut res = next.call(req).await?.map_into_boxed_body();

    let error_page = res.response().extensions().get::<ErrorPage>().cloned();
    if let Some(error) = error_page {
        res = render_error_page(res, error).await;
    }
    let state = session::app_state(res.request()).ok();
    let secure = state.as_ref().is_some_and(|s| s.secure_cookies);
    let seed = res.request().extensions().get::<CsrfSeed>().cloned();
    if let Some(seed) = seed.filter(|s| s.is_new) {
        let _ = res
            .response_mut()
            .add_cookie(&session::csrf_cookie(&seed.value, secure));
    }
    let status = res.status();
    if let Some(state) = &state {
        let route = res.request().match_pattern();
        let took = started.elapsed();
        state.metrics.observe(route, &method, status.as_u16(), took);
    }
    let wrote = !matches!(method, Method::GET | Method::HEAD) && status.as_u16() < 400;
    if let Some(state) = state.filter(|_| wrote) {
        state.pages.invalidate(); // visitors' kept pages may show what just changed
    }
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(header::HeaderName::from_static("x-request-id"), value);
    }
    set_security_headers(headers, secure);
    let framed_by = res
        .response()
        .extensions()
        .get::<super::widget::FrameAncestors>()
        .cloned();
    if let Some(super::widget::FrameAncestors(sites)) = framed_by {
        allow_framing_by(res.headers_mut(), &sites);
    }
    let headers = res.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = if status.as_u16() >= 400 || had_credentials {
            "private, no-store"
        } else {
            "private, no-cache"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    tracing::info!(
        target: "kotae::http",
        %method,
        path = %path,
        status = status.as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    Ok(res)
}

fn set_security_headers(headers: &mut actix_web::http::header::HeaderMap, secure: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// The widget's panel: framed by the brand's own sites, and by no one when it lists none.
fn allow_framing_by(headers: &mut actix_web::http::header::HeaderMap, sites: &[String]) {
    let ancestors = if sites.is_empty() {
        "'none'".to_string()
    } else {
        sites.join(" ")
    };
    let policy = CSP.replace(
        "frame-ancestors 'none'",
        &format!("frame-ancestors {ancestors}"),
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
        headers.remove(header::X_FRAME_OPTIONS);
    }
}

/// Replaces a bare error response with the error page, keeping its status and headers.
async fn render_error_page(
    res: ServiceResponse<BoxBody>,
    error: ErrorPage,
) -> ServiceResponse<BoxBody> {
    let (req, old) = res.into_parts();
    if error.kind == "unauthorized" {
        let next = format!("/sign-in?next={}", url_encode(req.path()));
        return ServiceResponse::new(req, super::page::redirect(&next));
    }
    let rendered = async {
        let mut page = Page::new(&req, &format!("error.{}.title", error.kind)).await?;
        page.insert("error_kind", error.kind);
        page.insert("status", &error.status);
        page.render_with_status(&req, "error.html", old.status())
    }
    .await;
    let mut new = rendered.unwrap_or_else(|_| {
        HttpResponse::build(old.status())
            .content_type("text/plain; charset=utf-8")
            .body(old.status().to_string())
    });
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
