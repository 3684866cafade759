//! Who may do what: every rule in one place, checked on the server for every request.

use serde::Serialize;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::model::BrandId;
use crate::model::member::{self, Role};
use crate::model::user::User;

/// Posting needs a verified address; reading and signing in do not.
pub fn may_post(user: &User) -> AppResult<()> {
    if user.email_verified {
        Ok(())
    } else {
        Err(AppError::Unverified)
    }
}

/// What one person may do in one brand: its staff role, if any, and whether they are a site
/// admin (who may act as the admin of every brand, but never posts officially for one).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(into = "AccessView")]
pub struct Access {
    pub role: Option<Role>,
    pub site_admin: bool,
}

/// Access as templates read it, with what it allows spelled out.
#[derive(Serialize)]
struct AccessView {
    role: Option<Role>,
    site_admin: bool,
    staff: bool,
    admin: bool,
    official: bool,
}

impl From<Access> for AccessView {
    fn from(a: Access) -> AccessView {
        AccessView {
            role: a.role,
            site_admin: a.site_admin,
            staff: a.staff(),
            admin: a.admin(),
            official: a.official(),
        }
    }
}

impl Access {
    pub fn staff(&self) -> bool {
        self.role.is_some() || self.site_admin
    }

    pub fn admin(&self) -> bool {
        self.role == Some(Role::Admin) || self.site_admin
    }

    /// Whether their posts carry the brand's official badge.
    pub fn official(&self) -> bool {
        self.role.is_some()
    }
}

pub fn access(c: &mut DbConn, brand: BrandId, user: Option<&User>) -> AppResult<Access> {
    let Some(user) = user else {
        return Ok(Access::default());
    };
    Ok(Access {
        role: member::role_of(c, brand, user.id)?,
        site_admin: user.site_admin,
    })
}

/// The brand's staff (or a site admin) with a verified address; 403 for anyone else.
pub fn staff_of(c: &mut DbConn, brand: BrandId, me: &User) -> AppResult<Access> {
    may_post(me)?;
    let found = access(c, brand, Some(me))?;
    if found.staff() {
        Ok(found)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The brand's admins (or a site admin); 403 for anyone else.
pub fn admin_of(c: &mut DbConn, brand: BrandId, me: &User) -> AppResult<Access> {
    let found = staff_of(c, brand, me)?;
    if found.admin() {
        Ok(found)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn site_admin(me: &User) -> AppResult<()> {
    may_post(me)?;
    if me.site_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
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
            banned_at: None,
        }
    }

    #[test]
    fn unverified_members_may_not_post() {
        assert!(may_post(&user(true)).is_ok());
        assert!(matches!(may_post(&user(false)), Err(AppError::Unverified)));
    }

    #[test]
    fn site_admins_act_as_admins_but_post_officially_only_as_staff() {
        let admin = Access {
            role: None,
            site_admin: true,
        };
        assert!(admin.staff() && admin.admin() && !admin.official());
        let staff = Access {
            role: Some(Role::Staff),
            site_admin: false,
        };
        assert!(staff.staff() && !staff.admin() && staff.official());
        assert!(!Access::default().staff());
    }
}
