//! Who may do what: every rule in one place, checked on the server for every request.

use crate::error::{AppError, AppResult};
use crate::model::user::User;

/// Posting needs a verified address; reading and signing in do not.
pub fn may_post(user: &User) -> AppResult<()> {
    if user.email_verified {
        Ok(())
    } else {
        Err(AppError::Unverified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;

    fn user(verified: bool) -> User {
        let now = crate::model::now();
        User {
            id: UserId(1),
            username: "aiko".into(),
            email: "aiko@example.com".into(),
            email_key: "aiko@example.com".into(),
            email_verified: verified,
            display_name: "Aiko".into(),
            password_hash: String::new(),
            language: "ja".into(),
            site_admin: false,
            created_at: now,
            updated_at: now,
            helpful_received: 0,
            accepted_answers: 0,
        }
    }

    #[test]
    fn unverified_members_may_not_post() {
        assert!(may_post(&user(true)).is_ok());
        assert!(matches!(may_post(&user(false)), Err(AppError::Unverified)));
    }
}
