//! Form bodies for pages: size-limited, and refused unless they carry this browser's
//! CSRF token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::errors::PageError;
use super::session;
use crate::error::AppError;

/// Largest form body a page accepts: 50,000 Japanese characters, percent-encoded, fit.
pub const FORM_LIMIT: usize = 512 * 1024;

/// A form that carries nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// A form of type `T` whose CSRF token checked out.
pub struct CheckedForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CheckedForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let fail = |e: AppError| -> actix_web::Error { PageError(e).into() };
            let body = body.await.map_err(|_| fail(AppError::TooLarge))?;
            let state = session::app_state(&req).map_err(fail)?;
            let token: CsrfOnly = serde_urlencoded::from_bytes(&body)
                .map_err(|e| fail(AppError::BadRequest(e.to_string())))?;
            if !session::csrf_matches(&req, &state, &token.csrf_token) {
                return Err(fail(AppError::Forbidden));
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| fail(AppError::BadRequest(e.to_string())))?;
            Ok(CheckedForm(form))
        })
    }
}

/// An on/off button's form (follow, me too): `on=1` turns it on.
#[derive(Deserialize)]
pub struct OnOffForm {
    #[serde(default)]
    pub on: String,
}

/// A form body read as pairs, for forms with repeated keys (checkbox lists), which
/// serde_urlencoded cannot read into a struct; refused unless it carries the CSRF token.
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    pub fn checked(
        req: &HttpRequest,
        state: &crate::app::AppState,
        body: &[u8],
    ) -> Result<Pairs, PageError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| PageError(AppError::BadRequest(e.to_string())))?;
        let pairs = Pairs(pairs);
        if !session::csrf_matches(req, state, &pairs.value("csrf_token")) {
            return Err(PageError(AppError::Forbidden));
        }
        Ok(pairs)
    }

    /// The first value of `name`, or empty.
    pub fn value(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    }

    /// Every value of `name` that parses as `T`.
    pub fn all<T: std::str::FromStr>(&self, name: &str) -> Vec<T> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    }
}
