//! Accounts: who people are and how they sign in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::UserId;
use crate::db::DbConn;
use crate::db::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub email_key: String,
    pub email_verified: bool,
    pub display_name: String,
    pub password_hash: String,
    pub language: String,
    pub site_admin: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub helpful_received: i32,
    pub accepted_answers: i32,
    pub banned_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub email_verified: bool,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub language: &'a str,
    pub site_admin: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The form of an address used for lookups and uniqueness.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn insert(c: &mut DbConn, row: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(row)
        .get_result::<User>(c)
}

pub fn find(c: &mut DbConn, id: UserId) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(c)
}

pub fn find_by_username(c: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    if username.contains('\0') {
        return Ok(None); // no name holds NUL, and PostgreSQL refuses it in a query
    }
    users::table
        .filter(users::username.eq(username.trim().to_lowercase()))
        .select(User::as_select())
        .first(c)
        .optional()
}

/// The account an address signs in to: the verified holder, else the newest sign-up.
pub fn find_by_email(c: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    if email.contains('\0') {
        return Ok(None);
    }
    users::table
        .filter(users::email_key.eq(email_key(email)))
        .order((users::email_verified.desc(), users::id.desc()))
        .select(User::as_select())
        .first(c)
        .optional()
}

/// Looks up by username, or by email when the login holds an @.
pub fn find_by_login(c: &mut DbConn, login: &str) -> QueryResult<Option<User>> {
    if login.contains('@') {
        find_by_email(c, login)
    } else {
        find_by_username(c, login)
    }
}

/// The verified account holding this address, if any.
pub fn verified_holder(c: &mut DbConn, email: &str) -> QueryResult<Option<UserId>> {
    users::table
        .filter(
            users::email_key
                .eq(email_key(email))
                .and(users::email_verified.eq(true)),
        )
        .select(users::id)
        .first(c)
        .optional()
}

/// Sets the (possibly new) address and marks it verified.
pub fn set_verified_email(
    c: &mut DbConn,
    id: UserId,
    email: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(email.trim()),
            users::email_key.eq(email_key(email)),
            users::email_verified.eq(true),
            users::updated_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_password_hash(
    c: &mut DbConn,
    id: UserId,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(at)))
        .execute(c)?;
    Ok(())
}

pub fn set_profile(
    c: &mut DbConn,
    id: UserId,
    display_name: &str,
    language: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name),
            users::language.eq(language),
            users::updated_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_site_admin(c: &mut DbConn, id: UserId, admin: bool) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::site_admin.eq(admin))
        .execute(c)?;
    Ok(())
}

pub fn count(c: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(c)
}

/// Credits a member with helpful votes and accepted answers (negative to take back).
pub fn add_points(c: &mut DbConn, id: UserId, helpful: i32, accepted: i32) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::helpful_received.eq(users::helpful_received + helpful),
            users::accepted_answers.eq(users::accepted_answers + accepted),
        ))
        .execute(c)?;
    Ok(())
}

/// Topics and replies a member has written.
pub fn post_count(c: &mut DbConn, id: UserId) -> QueryResult<i64> {
    use crate::db::schema::{replies, topics};
    let topics: i64 = topics::table
        .filter(topics::author_id.eq(id))
        .count()
        .get_result(c)?;
    let replies: i64 = replies::table
        .filter(replies::author_id.eq(id))
        .count()
        .get_result(c)?;
    Ok(topics + replies)
}

pub fn set_banned(c: &mut DbConn, id: UserId, at: Option<NaiveDateTime>) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::banned_at.eq(at))
        .execute(c)?;
    Ok(())
}
