//! Server-side sessions: web sign-ins and API tokens, stored as hashes, revocable.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::user::User;
use super::{ProviderId, SessionId, UserId};
use crate::db::DbConn;
use crate::db::schema::{sessions, users};
use crate::secret;

/// What a session was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }

    /// How long a session lives without use.
    pub fn lifetime(self) -> Duration {
        match self {
            SessionKind::Web => Duration::days(30),
            SessionKind::Api => Duration::days(365),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The provider it was signed in through; None for a password.
    pub provider_id: Option<ProviderId>,
}

/// Starts a session and returns the secret token for the cookie or bearer header.
pub fn create(
    c: &mut DbConn,
    user: UserId,
    kind: SessionKind,
    now: NaiveDateTime,
) -> QueryResult<String> {
    create_via(c, user, kind, None, now)
}

/// Starts a session signed in through `provider` (single sign-on) or by password (`None`).
pub fn create_via(
    c: &mut DbConn,
    user: UserId,
    kind: SessionKind,
    provider: Option<ProviderId>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = secret::random_token();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(secret::token_hash(&token)),
            sessions::user_id.eq(user),
            sessions::kind.eq(kind.as_str()),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + kind.lifetime()),
            sessions::provider_id.eq(provider),
        ))
        .execute(c)?;
    Ok(token)
}

/// The live session a token names, with its user.
pub fn find_live(
    c: &mut DbConn,
    token: &str,
    kind: SessionKind,
    now: NaiveDateTime,
) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(secret::token_hash(token)))
        .filter(sessions::kind.eq(kind.as_str()))
        .filter(sessions::expires_at.gt(now))
        .filter(users::banned_at.is_null())
        .select((Session::as_select(), User::as_select()))
        .first(c)
        .optional()
}

/// Extends a session in use; callers do it at most hourly so reads stay reads.
pub fn touch(
    c: &mut DbConn,
    id: SessionId,
    kind: SessionKind,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + kind.lifetime()),
        ))
        .execute(c)?;
    Ok(())
}

pub fn delete_by_token(c: &mut DbConn, token: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(secret::token_hash(token))))
        .execute(c)
}

/// Ends every session and API token of a user, except `keep` if given.
pub fn delete_all_for_user(
    c: &mut DbConn,
    user: UserId,
    keep: Option<SessionId>,
) -> QueryResult<usize> {
    let keep = keep.unwrap_or(SessionId(0));
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user).and(sessions::id.ne(keep))))
        .execute(c)
}

pub fn count_for_user(c: &mut DbConn, user: UserId) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .count()
        .get_result(c)
}
