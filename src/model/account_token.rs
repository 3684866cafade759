//! Single-use, expiring tokens mailed to people: email verification and password reset.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::UserId;
use crate::db::DbConn;
use crate::db::schema::account_tokens;
use crate::secret;

/// What a token may be used for; a token works for its own purpose only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(48),
            Purpose::ResetPassword => Duration::hours(1),
        }
    }
}

/// A token that was valid and is now spent.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_tokens)]
pub struct SpentToken {
    pub user_id: UserId,
    pub email: String,
}

/// Issues a token bound to user, address and purpose; older ones of that purpose stop working.
pub fn issue(
    c: &mut DbConn,
    user: UserId,
    purpose: Purpose,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user))
            .filter(account_tokens::purpose.eq(purpose.as_str())),
    )
    .execute(c)?;
    let token = secret::random_token();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(secret::token_hash(&token)),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::user_id.eq(user),
            account_tokens::email.eq(email),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(c)?;
    Ok(token)
}

/// Spends a token: returns what it was bound to if it is live, and deletes it either way.
pub fn spend(
    c: &mut DbConn,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<Option<SpentToken>> {
    let hash = secret::token_hash(token);
    let found = account_tokens::table
        .filter(account_tokens::token_hash.eq(&hash))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::expires_at.gt(now))
        .select(SpentToken::as_select())
        .first(c)
        .optional()?;
    let deleted = diesel::delete(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(&hash))
            .filter(account_tokens::purpose.eq(purpose.as_str())),
    )
    .execute(c)?;
    // two requests racing with one token: only the one that deleted it may use it
    Ok(found.filter(|_| deleted == 1))
}
