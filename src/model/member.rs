//! Brand staff: who works a brand's community, in which role, under which title.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, UserId};
use crate::db::DbConn;
use crate::db::schema::{brand_members, brands, users};

/// A staff member's role in one brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A staff member as the staff page and the API list them.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct StaffView {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub title: String,
    pub created_at: NaiveDateTime,
    /// Their official answers wait for an admin's approval.
    pub needs_approval: bool,
}

pub fn role_of(c: &mut DbConn, brand: BrandId, user: UserId) -> QueryResult<Option<Role>> {
    let role: Option<String> = brand_members::table
        .find((brand, user))
        .select(brand_members::role)
        .first(c)
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Adds a member or changes their role and title.
pub fn upsert(
    c: &mut DbConn,
    brand: BrandId,
    user: UserId,
    role: Role,
    title: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(brand_members::table.find((brand, user)))
        .set((
            brand_members::role.eq(role.as_str()),
            brand_members::title.eq(title),
        ))
        .execute(c)?;
    if updated == 0 {
        diesel::insert_into(brand_members::table)
            .values((
                brand_members::brand_id.eq(brand),
                brand_members::user_id.eq(user),
                brand_members::role.eq(role.as_str()),
                brand_members::title.eq(title),
                brand_members::created_at.eq(at),
            ))
            .execute(c)?;
    }
    Ok(())
}

pub fn remove(c: &mut DbConn, brand: BrandId, user: UserId) -> QueryResult<usize> {
    diesel::delete(brand_members::table.find((brand, user))).execute(c)
}

pub fn remove_all(c: &mut DbConn, brand: BrandId) -> QueryResult<usize> {
    diesel::delete(brand_members::table.filter(brand_members::brand_id.eq(brand))).execute(c)
}

pub fn list(c: &mut DbConn, brand: BrandId) -> QueryResult<Vec<StaffView>> {
    brand_members::table
        .inner_join(users::table)
        .filter(brand_members::brand_id.eq(brand))
        .order((brand_members::role, users::display_name))
        .select((
            users::id,
            users::username,
            users::display_name,
            brand_members::role,
            brand_members::title,
            brand_members::created_at,
            brand_members::needs_approval,
        ))
        .load(c)
}

/// Whether this member's official answers wait for approval in this brand.
pub fn needs_approval(c: &mut DbConn, brand: BrandId, user: UserId) -> QueryResult<bool> {
    Ok(brand_members::table
        .find((brand, user))
        .select(brand_members::needs_approval)
        .first(c)
        .optional()?
        .unwrap_or(false))
}

pub fn set_needs_approval(
    c: &mut DbConn,
    brand: BrandId,
    user: UserId,
    needs: bool,
) -> QueryResult<()> {
    diesel::update(brand_members::table.find((brand, user)))
        .set(brand_members::needs_approval.eq(needs))
        .execute(c)?;
    Ok(())
}

pub fn admin_count(c: &mut DbConn, brand: BrandId) -> QueryResult<i64> {
    brand_members::table
        .filter(brand_members::brand_id.eq(brand))
        .filter(brand_members::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(c)
}

/// The brands a member works, as (slug, name, role), for /me and the navigation.
pub fn brands_of(c: &mut DbConn, user: UserId) -> QueryResult<Vec<(String, String, String)>> {
    brand_members::table
        .inner_join(brands::table)
        .filter(brand_members::user_id.eq(user))
        .order(brands::name)
        .select((brands::slug, brands::name, brand_members::role))
        .load(c)
}
