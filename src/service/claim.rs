//! Claiming a brand: a link mailed to an address at its domain, or a site admin's decision
//! (brands with no domain, and disputes); and taking a claim back.

use chrono::Duration;
use serde::Deserialize;
use tera::Context;

use super::validate;
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::{Composer, Mail};
use crate::model::brand::{self, Brand};
use crate::model::claim::{self, ClaimState, ClaimView, NewClaim};
use crate::model::member::{self, Role};
use crate::model::user::User;
use crate::model::{ClaimId, now};

/// How long a mailed claim link works.
pub const LINK_LIFETIME: Duration = Duration::hours(24);
pub const REASON_MAX: usize = 2000;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ClaimInput {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// What became of a claim request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// A link went to the address given.
    Mailed,
    /// A site admin will decide.
    Pending,
}

/// Whether `email` is at `domain` or one of its subdomains.
pub fn at_domain(email: &str, domain: &str) -> bool {
    let host = email.rsplit_once('@').map_or("", |(_, h)| h);
    let (host, domain) = (host.to_ascii_lowercase(), domain.to_ascii_lowercase());
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Asks to claim a brand. With an address at the brand's domain, a link goes there; with no
/// domain, or when the brand is already claimed (a dispute), a reason goes to the site admins.
pub fn request(
    c: &mut DbConn,
    mail: &Composer,
    me: &User,
    slug: &str,
    input: &ClaimInput,
) -> AppResult<Requested> {
    authz::may_post(me)?;
    let found = brand::find_by_slug(c, slug)?;
    let mut errors = vec![];
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| validate::email("email", e, &mut errors));
    let by_mail = email.is_some() && found.claimed_at.is_none();
    if let (Some(address), true) = (&email, by_mail) {
        let fits = found
            .domain
            .as_deref()
            .is_some_and(|d| at_domain(address, d));
        if errors.is_empty() && !fits {
            return Err(AppError::invalid(
                "email",
                "email_not_at_domain",
                "use an address at the brand's own domain",
            ));
        }
    }
    let reason = validate::plain_text(
        "reason",
        input.reason.as_deref().unwrap_or(""),
        if by_mail { 0 } else { 10 },
        REASON_MAX,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    db::write_transaction(c, |c| {
        let at = now();
        if !by_mail {
            claim::insert(
                c,
                &NewClaim {
                    brand: found.id,
                    user: me.id,
                    email: email.as_deref(),
                    reason: &reason,
                    state: ClaimState::Pending,
                    token: None,
                },
                at,
            )?;
            return Ok(Requested::Pending);
        }
        let address = email.as_deref().unwrap_or_default();
        let token = crate::secret::random_token();
        let id = claim::insert(
            c,
            &NewClaim {
                brand: found.id,
                user: me.id,
                email: Some(address),
                reason: &reason,
                state: ClaimState::Mailed,
                token: Some((&token, at + LINK_LIFETIME)),
            },
            at,
        )?;
        let mut context = Context::new();
        context.insert("brand", &found.name);
        context.insert("username", &me.display_name);
        context.insert(
            "link",
            &format!("{}/claims/confirm?token={token}", mail.base_url()),
        );
        mail.enqueue(
            c,
            Mail {
                to: address,
                lang: Lang::parse(&me.language).unwrap_or_default(),
                template: "claim_link",
                context,
                dedupe_key: format!("claim:{id}"),
                unsubscribe: None,
                reply_to: None,
            },
        )?;
        Ok(Requested::Mailed)
    })
}

fn link_invalid() -> AppError {
    AppError::invalid(
        "token",
        "token_invalid",
        "this link is invalid, already used, or expired",
    )
}

/// Follows a mailed claim link: the caller becomes the brand's admin and the brand is claimed.
pub fn confirm(c: &mut DbConn, me: &User, token: &str) -> AppResult<Brand> {
    authz::may_post(me)?;
    if token.is_empty() || token.len() > 100 {
        return Err(link_invalid());
    }
    db::write_transaction(c, |c| {
        let at = now();
        let spent = claim::spend(c, token, at)?.ok_or_else(link_invalid)?;
        let found = brand::find(c, spent.brand_id)?;
        if found.claimed_at.is_some() {
            return Err(AppError::Conflict(
                "the brand was claimed meanwhile; ask a site admin",
            ));
        }
        grant(c, &found, me, at)?;
        Ok(brand::find(c, found.id)?)
    })
}

fn grant(c: &mut DbConn, found: &Brand, to: &User, at: chrono::NaiveDateTime) -> AppResult<()> {
    member::upsert(c, found.id, to.id, Role::Admin, "", at)?;
    if found.claimed_at.is_none() {
        claim::set_brand_claimed(c, found.id, Some(at))?;
    }
    Ok(())
}

/// Claims waiting for a site admin, then the latest decided ones.
pub fn list(c: &mut DbConn, me: &User) -> AppResult<(Vec<ClaimView>, Vec<ClaimView>)> {
    authz::site_admin(me)?;
    let waiting = claim::list(c, &[ClaimState::Pending], 200)?;
    let decided = claim::list(
        c,
        &[
            ClaimState::Confirmed,
            ClaimState::Approved,
            ClaimState::Rejected,
            ClaimState::Revoked,
        ],
        50,
    )?;
    Ok((waiting, decided))
}

/// A site admin grants or refuses a pending claim.
pub fn decide(c: &mut DbConn, me: &User, id: ClaimId, approve: bool) -> AppResult<()> {
    authz::site_admin(me)?;
    db::write_transaction(c, |c| {
        let at = now();
        let found = claim::find(c, id)?;
        let to = if approve {
            ClaimState::Approved
        } else {
            ClaimState::Rejected
        };
        if !claim::decide(
            c,
            id,
            &[ClaimState::Pending, ClaimState::Mailed],
            to,
            me.id,
            at,
        )? {
            return Err(AppError::Conflict("this claim was already decided"));
        }
        if approve {
            let claimant = crate::model::user::find(c, found.user_id)?;
            let claimed = brand::find(c, found.brand_id)?;
            grant(c, &claimed, &claimant, at)?;
        }
        Ok(())
    })
}

/// A site admin takes a brand's claim back: its staff lose their roles, every thread stays.
pub fn revoke(c: &mut DbConn, me: &User, slug: &str) -> AppResult<()> {
    authz::site_admin(me)?;
    let found = brand::find_by_slug(c, slug)?;
    db::write_transaction(c, |c| {
        let at = now();
        claim::revoke_all(c, found.id, me.id, at)?;
        member::remove_all(c, found.id)?;
        claim::set_brand_claimed(c, found.id, None)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::at_domain;

    #[test]
    fn addresses_at_the_domain_or_a_subdomain_fit() {
        assert!(at_domain("jo@acme.example", "acme.example"));
        assert!(at_domain("jo@Support.ACME.example", "acme.example"));
        assert!(!at_domain("jo@notacme.example", "acme.example"));
        assert!(!at_domain("jo@acme.example.evil", "acme.example"));
        assert!(!at_domain("acme.example", "acme.example"));
    }
}
