//! Claims: someone asking to speak for a brand, by a link mailed to its domain or by a
//! site admin's decision.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, ClaimId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brand_claims, brands, users};
use crate::secret;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// A link went to an address at the brand's domain.
    Mailed,
    /// A site admin decides.
    Pending,
    Confirmed,
    Approved,
    Rejected,
    Revoked,
}

impl ClaimState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Mailed => "mailed",
            ClaimState::Pending => "pending",
            ClaimState::Confirmed => "confirmed",
            ClaimState::Approved => "approved",
            ClaimState::Rejected => "rejected",
            ClaimState::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = brand_claims)]
pub struct Claim {
    pub id: ClaimId,
    pub brand_id: BrandId,
    pub user_id: UserId,
    pub email: Option<String>,
    pub reason: String,
    pub state: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

/// A claim as the site admin's list shows it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ClaimView {
    pub claim: Claim,
    pub brand_slug: String,
    pub brand_name: String,
    pub brand_domain: Option<String>,
    pub username: String,
    pub display_name: String,
}

pub struct NewClaim<'a> {
    pub brand: BrandId,
    pub user: UserId,
    pub email: Option<&'a str>,
    pub reason: &'a str,
    pub state: ClaimState,
    /// The secret of a mailed claim, and when it stops working.
    pub token: Option<(&'a str, NaiveDateTime)>,
}

pub fn insert(c: &mut DbConn, row: &NewClaim, at: NaiveDateTime) -> QueryResult<ClaimId> {
    diesel::insert_into(brand_claims::table)
        .values((
            brand_claims::brand_id.eq(row.brand),
            brand_claims::user_id.eq(row.user),
            brand_claims::email.eq(row.email),
            brand_claims::reason.eq(row.reason),
            brand_claims::state.eq(row.state.as_str()),
            brand_claims::token_hash.eq(row.token.map(|(t, _)| secret::token_hash(t))),
            brand_claims::expires_at.eq(row.token.map(|(_, e)| e)),
            brand_claims::created_at.eq(at),
        ))
        .returning(brand_claims::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: ClaimId) -> QueryResult<Claim> {
    brand_claims::table
        .find(id)
        .select(Claim::as_select())
        .first(c)
}

/// Spends a mailed claim's token: the claim if it was live; it never works twice.
pub fn spend(c: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<Option<Claim>> {
    let hash = secret::token_hash(token);
    let live = brand_claims::table
        .filter(brand_claims::token_hash.eq(&hash))
        .filter(brand_claims::state.eq(ClaimState::Mailed.as_str()))
        .filter(brand_claims::expires_at.gt(now));
    let found = live.select(Claim::as_select()).first(c).optional()?;
    let spent = diesel::update(live)
        .set((
            brand_claims::state.eq(ClaimState::Confirmed.as_str()),
            brand_claims::token_hash.eq(None::<String>),
            brand_claims::decided_at.eq(now),
        ))
        .execute(c)?;
    Ok(found.filter(|_| spent == 1))
}

/// Records a site admin's decision on a claim that is still waiting for one.
pub fn decide(
    c: &mut DbConn,
    id: ClaimId,
    from: &[ClaimState],
    to: ClaimState,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let changed = diesel::update(
        brand_claims::table
            .find(id)
            .filter(brand_claims::state.eq_any(from)),
    )
    .set((
        brand_claims::state.eq(to.as_str()),
        brand_claims::token_hash.eq(None::<String>),
        brand_claims::decided_by.eq(by),
        brand_claims::decided_at.eq(at),
    ))
    .execute(c)?;
    Ok(changed == 1)
}

/// Marks every granted claim on a brand revoked.
pub fn revoke_all(
    c: &mut DbConn,
    brand: BrandId,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let granted = [
        ClaimState::Confirmed.as_str(),
        ClaimState::Approved.as_str(),
    ];
    diesel::update(
        brand_claims::table
            .filter(brand_claims::brand_id.eq(brand))
            .filter(brand_claims::state.eq_any(granted)),
    )
    .set((
        brand_claims::state.eq(ClaimState::Revoked.as_str()),
        brand_claims::decided_by.eq(by),
        brand_claims::decided_at.eq(at),
    ))
    .execute(c)?;
    Ok(())
}

/// Claims in one of `states`, newest first, for the site admin.
pub fn list(c: &mut DbConn, states: &[ClaimState], limit: i64) -> QueryResult<Vec<ClaimView>> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    brand_claims::table
        .inner_join(brands::table)
        .inner_join(users::table.on(users::id.eq(brand_claims::user_id)))
        .filter(brand_claims::state.eq_any(states))
        .order(brand_claims::id.desc())
        .limit(limit)
        .select((
            Claim::as_select(),
            brands::slug,
            brands::name,
            brands::domain,
            users::username,
            users::display_name,
        ))
        .load(c)
}

pub fn set_brand_claimed(
    c: &mut DbConn,
    brand: BrandId,
    at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(brands::table.find(brand))
        .set(brands::claimed_at.eq(at))
        .execute(c)?;
    Ok(())
}
