//! Staff invitations mailed to people who may not have an account yet.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{BrandId, InvitationId, UserId};
use crate::db::DbConn;
use crate::db::schema::staff_invitations;
use crate::secret;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_invitations)]
pub struct Invitation {
    pub id: InvitationId,
    pub brand_id: BrandId,
    pub email: String,
    pub role: String,
    pub title: String,
}

pub struct NewInvitation<'a> {
    pub brand: BrandId,
    pub email: &'a str,
    pub role: &'a str,
    pub title: &'a str,
    pub invited_by: UserId,
    pub expires_at: NaiveDateTime,
}

/// Stores an invitation and returns its secret.
pub fn insert(c: &mut DbConn, row: &NewInvitation, at: NaiveDateTime) -> QueryResult<String> {
    let token = secret::random_token();
    diesel::insert_into(staff_invitations::table)
        .values((
            staff_invitations::brand_id.eq(row.brand),
            staff_invitations::email.eq(row.email),
            staff_invitations::role.eq(row.role),
            staff_invitations::title.eq(row.title),
            staff_invitations::token_hash.eq(secret::token_hash(&token)),
            staff_invitations::invited_by.eq(row.invited_by),
            staff_invitations::expires_at.eq(row.expires_at),
            staff_invitations::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(token)
}

/// Spends an invitation: what it offered if it was live; it never works twice.
pub fn spend(c: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<Option<Invitation>> {
    let hash = secret::token_hash(token);
    let found = staff_invitations::table
        .filter(staff_invitations::token_hash.eq(&hash))
        .filter(staff_invitations::expires_at.gt(now))
        .select(Invitation::as_select())
        .first(c)
        .optional()?;
    let deleted =
        diesel::delete(staff_invitations::table.filter(staff_invitations::token_hash.eq(&hash)))
            .execute(c)?;
    Ok(found.filter(|_| deleted == 1))
}

pub fn delete_expired(c: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(staff_invitations::table.filter(staff_invitations::expires_at.le(now)))
        .execute(c)
}
