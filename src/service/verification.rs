//! Answers that stay true: an official answer can say which product version it was verified
//! for and when it should be checked again; the "to re-verify" queue lists those past it.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::topic::ReplyInput;
use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::brand::{self, Brand};
use crate::model::reply::{self, ReviewItem};
use crate::model::user::User;
use crate::model::{ReplyId, now, topic};

pub const VERSION_MAX: usize = 40;
/// The furthest review date: five years ahead.
const REVIEW_MAX: Duration = Duration::days(5 * 366);
pub const QUEUE_MAX: i64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub version: Option<String>,
    pub review_at: Option<NaiveDateTime>,
}

/// The verification a reply carries, checked (None: it says nothing of one).
pub fn checked(
    input: &ReplyInput,
    today: NaiveDateTime,
    errors: &mut Vec<FieldError>,
) -> Option<Verification> {
    parse(
        input.verified_version.as_deref(),
        input.review_on.as_deref(),
        today,
        errors,
    )
}

fn parse(
    version: Option<&str>,
    review_on: Option<&str>,
    today: NaiveDateTime,
    errors: &mut Vec<FieldError>,
) -> Option<Verification> {
    let version = version
        .map(|v| validate::plain_text("verified_version", v, 0, VERSION_MAX, errors))
        .filter(|v| !v.is_empty());
    let review_on = review_on.map(str::trim).filter(|d| !d.is_empty());
    let review_at = review_on.and_then(|text| {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let at = day.map(|d| d.and_time(chrono::NaiveTime::MIN));
        if at.is_none_or(|at| at > today + REVIEW_MAX) {
            errors.push(FieldError::new(
                "review_on",
                "date_invalid",
                "a date (YYYY-MM-DD) within five years",
            ));
        }
        at
    });
    (version.is_some() || review_at.is_some()).then_some(Verification { version, review_at })
}

/// Staff set (or clear) the verification of one of their brand's official replies.
pub fn set(
    c: &mut DbConn,
    me: &User,
    id: ReplyId,
    version: Option<&str>,
    review_on: Option<&str>,
) -> AppResult<reply::Reply> {
    let found = reply::find(c, id)?;
    let owner = topic::find(c, found.topic_id)?;
    authz::staff_of(c, owner.brand_id, me)?;
    if !found.official {
        return Err(AppError::invalid(
            "reply",
            "not_official",
            "only official answers carry a verification",
        ));
    }
    let mut errors = vec![];
    let checked = parse(version, review_on, now(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (version, review_at) = checked.map_or((None, None), |v| (v.version, v.review_at));
    db::write_transaction(c, |c| {
        reply::set_verification(c, id, version.as_deref(), review_at)?;
        Ok(reply::find(c, id)?)
    })
}

/// The brand's official answers whose review date has come, oldest first.
pub fn queue(c: &mut DbConn, me: &User, slug: &str) -> AppResult<(Brand, Vec<ReviewItem>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::staff_of(c, found.id, me)?;
    let due = reply::due_for_review(c, found.id, now(), QUEUE_MAX)?;
    Ok((found, due))
}
