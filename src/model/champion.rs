//! Brand champions: members a brand's admins honour with the brand's own champion badge
//! (the community champion badge comes from points, see `service::PointsRule`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brand_champions, users};

/// A brand champion as the insights page lists them.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ChampionView {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    #[serde(serialize_with = "super::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// Grants the badge; granting it twice changes nothing.
pub fn grant(
    c: &mut DbConn,
    brand: BrandId,
    user: UserId,
    by: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::backend::insert_ignoring_duplicate_champion(c, brand, user, by, at).map(drop)
}

/// Takes the badge away; returns whether they had it.
pub fn remove(c: &mut DbConn, brand: BrandId, user: UserId) -> QueryResult<bool> {
    Ok(diesel::delete(brand_champions::table.find((brand, user))).execute(c)? > 0)
}

pub fn list(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<ChampionView>> {
    brand_champions::table
        .inner_join(users::table)
        .filter(brand_champions::brand_id.eq(brand))
        .order(users::display_name)
        .select((
            users::id,
            users::username,
            users::display_name,
            brand_champions::created_at,
        ))
        .load(c)
}

/// Which of `people` are champions of the brand.
pub fn among(c: &mut DbConn, brand: BrandId, people: &[UserId]) -> QueryResult<Vec<UserId>> {
    brand_champions::table
        .filter(brand_champions::brand_id.eq(brand))
        .filter(brand_champions::user_id.eq_any(people))
        .select(brand_champions::user_id)
        .load(c)
}
