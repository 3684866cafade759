//! Public response times: for the last 30 days, the median time to a first official (staff)
//! response and the share of threads answered by staff and by the community alone, from the
//! same queries as insights' 30-day figures; kept in memory for up to an hour per brand.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::period::Period;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::model::brand::{self, Brand};
use crate::model::insights::{self, Scope};
use crate::model::user::User;
use crate::model::{BrandId, now};
use crate::{authz, db};

pub const DAYS: i64 = 30;
/// How long the figures are kept before they are computed again (KOTAE_RESPONSE_TIMES_SECONDS).
static FRESH_FOR_SECS: AtomicU64 = AtomicU64::new(3600);

/// Sets how long the figures are kept, from the configuration, at start.
pub fn keep_for(secs: u64) {
    FRESH_FOR_SECS.store(secs, Ordering::Relaxed);
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseTimes {
    pub days: i64,
    pub topics: i64,
    /// Median seconds to the first staff response, over the topics that had one.
    pub median_staff_secs: Option<i64>,
    /// Percent of the period's topics with a staff response.
    pub staff_percent: Option<f64>,
    /// Percent answered by the community and never by staff.
    pub community_percent: Option<f64>,
}

static KEPT: Mutex<Option<HashMap<BrandId, (Instant, ResponseTimes)>>> = Mutex::new(None);

/// Whether a brand's page shows its response times: always once claimed; a community-run
/// brand may hide them.
pub fn shown(b: &Brand) -> bool {
    b.claimed_at.is_some() || !b.hide_response_times
}

/// The brand's figures, from memory when computed within the hour.
pub fn of_brand(c: &mut DbConn, b: &Brand) -> AppResult<ResponseTimes> {
    if let Some((at, kept)) = KEPT
        .lock()
        .expect("response times lock")
        .as_ref()
        .and_then(|m| m.get(&b.id).cloned())
        && at.elapsed() < Duration::from_secs(FRESH_FOR_SECS.load(Ordering::Relaxed))
    {
        return Ok(kept);
    }
    let fresh = compute(c, b.id)?;
    KEPT.lock()
        .expect("response times lock")
        .get_or_insert_with(HashMap::new)
        .insert(b.id, (Instant::now(), fresh.clone()));
    Ok(fresh)
}

fn compute(c: &mut DbConn, brand_id: BrandId) -> AppResult<ResponseTimes> {
    let period = Period::last(DAYS, now().date());
    let scope = Scope {
        brand: Some(brand_id),
        product: None,
        from: period.start(),
        to: period.end(),
    };
    let kinds = insights::kinds(c, &scope)?;
    let topics: i64 = kinds.iter().map(|k| k.topics).sum();
    let with_staff: i64 = kinds
        .iter()
        .map(|k| k.topics - k.without_staff_response)
        .sum();
    let with_any: i64 = kinds.iter().map(|k| k.topics - k.without_response).sum();
    let median_staff_secs = insights::response_times(c, &scope)?
        .into_iter()
        .find(|t| t.key == "staff:all")
        .and_then(|t| t.median)
        .map(|secs| secs.round() as i64);
    let percent = |n: i64| (topics > 0).then(|| (n as f64 * 1000.0 / topics as f64).round() / 10.0);
    Ok(ResponseTimes {
        days: DAYS,
        topics,
        median_staff_secs,
        staff_percent: percent(with_staff),
        community_percent: percent(with_any - with_staff),
    })
}

/// A community-run brand's admins (or a site admin) hide or show its response times.
pub fn set_hidden(c: &mut DbConn, me: &User, slug: &str, hidden: bool) -> AppResult<Brand> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    if hidden && found.claimed_at.is_some() {
        return Err(AppError::Conflict(
            "a brand that claimed its community shows its response times",
        ));
    }
    db::write_transaction(c, |c| {
        brand::set_hide_response_times(c, found.id, hidden)?;
        Ok(brand::find(c, found.id)?)
    })
}
