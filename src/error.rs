//! What can go wrong in a use case, and how each outcome reaches an API client or a page.

use serde::Serialize;

/// A field that failed validation, with a message for people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    /// A stable slug for programs and for the translated text on pages (`field_error.{code}`).
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("email address not verified")]
    Unverified,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    TooLarge,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A unique value someone else holds (a username): 409, with the field named.
    #[error("already taken")]
    Taken(Vec<FieldError>),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// One field's validation error.
    pub fn invalid(
        field: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> AppError {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// HTTP status and the stable problem `type` slug.
    pub fn status_and_type(&self) -> (u16, &'static str) {
        match self {
            AppError::NotFound => (404, "not_found"),
            AppError::Unauthorized => (401, "unauthorized"),
            AppError::Forbidden => (403, "forbidden"),
            AppError::Unverified => (403, "unverified"),
            AppError::Validation(_) => (422, "validation"),
            AppError::BadRequest(_) => (400, "bad_request"),
            AppError::TooLarge => (413, "payload_too_large"),
            AppError::Conflict(_) | AppError::Taken(_) => (409, "conflict"),
            AppError::RateLimited { .. } => (429, "rate_limited"),
            AppError::Internal(_) => (500, "internal"),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("already exists")
            }
            other => AppError::Internal(other.into()),
        }
    }
}
