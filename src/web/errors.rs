//! How an `AppError` reaches people: problem+json for the API, an error page for browsers.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::error::AppError;

/// An error answered as application/problem+json.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

/// An error answered with an HTML page (rendered by the middleware in the right language).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub AppError);

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError(e.into())
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError(e.into())
    }
}

fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.status_and_type().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn log_internal(e: &AppError) {
    if let AppError::Internal(inner) = e {
        tracing::error!(error = ?inner, "internal error");
    }
}

fn retry_after(e: &AppError, response: &mut actix_web::HttpResponseBuilder) {
    if let AppError::RateLimited { retry_after_secs } = e {
        response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        log_internal(&self.0);
        let (status, kind) = self.0.status_and_type();
        let mut body = json!({ "type": kind, "title": title(&self.0), "status": status });
        match &self.0 {
            AppError::Validation(errors) | AppError::Taken(errors) => {
                body["errors"] = json!(errors)
            }
            AppError::BadRequest(detail) => body["detail"] = json!(detail),
            AppError::Conflict(detail) => body["detail"] = json!(detail),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        retry_after(&self.0, &mut response);
        if matches!(self.0, AppError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response
            .content_type("application/problem+json")
            .body(body.to_string())
    }
}

/// Marks a response the middleware should turn into an error page.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: u16,
    pub kind: &'static str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        log_internal(&self.0);
        let (status, kind) = self.0.status_and_type();
        let mut response = HttpResponse::build(self.status_code());
        retry_after(&self.0, &mut response);
        let mut response = response
            .content_type("text/html; charset=utf-8")
            .body(title(&self.0));
        response.extensions_mut().insert(ErrorPage { status, kind });
        response
    }
}

fn title(e: &AppError) -> &'static str {
    match e {
        AppError::NotFound => "Not found",
        AppError::Unauthorized => "Sign-in required",
        AppError::Forbidden => "Forbidden",
        AppError::Unverified => "Email address not verified",
        AppError::Validation(_) => "Invalid input",
        AppError::BadRequest(_) => "Bad request",
        AppError::TooLarge => "Request body too large",
        AppError::Conflict(_) | AppError::Taken(_) => "Conflict",
        AppError::RateLimited { .. } => "Too many requests",
        AppError::Internal(_) => "Internal server error",
    }
}

/// The error for a request, shaped for the API or for pages by its path.
pub fn for_request(req: &HttpRequest, e: AppError) -> actix_web::Error {
    if is_api(req) {
        ApiError(e).into()
    } else {
        PageError(e).into()
    }
}

pub fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// Body and query extractors fail through here, so bad input gets our error shapes.
pub fn json_error(err: actix_web::error::JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::Overflow { .. } | J::OverflowKnownLength { .. } => AppError::TooLarge,
        J::ContentType => AppError::BadRequest("send the body as application/json".into()),
        J::Deserialize(d) => {
            AppError::BadRequest(format!("the body is not valid JSON for this request: {d}"))
        }
        other => AppError::BadRequest(other.to_string()),
    };
    for_request(req, e)
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    for_request(
        req,
        AppError::BadRequest(format!("bad query string: {err}")),
    )
}

pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let _ = err;
    for_request(req, AppError::NotFound)
}

pub fn form_error(err: actix_web::error::UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError as U;
    let e = match err {
        U::Overflow { .. } => AppError::TooLarge,
        other => AppError::BadRequest(other.to_string()),
    };
    for_request(req, e)
}
