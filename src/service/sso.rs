//! Single sign-on: the OpenID Connect providers a site admin configures, the provider a brand
//! links for its customers (and maybe requires of its staff), and signing in through one.
//! An outside identity becomes an account here only through an address the provider says
//! it verified, and joins an existing account only when that account's address is verified
//! here too (SECURITY.md: account takeover by SSO linking).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Services, address_key, validate};
use crate::authz;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Lang;
use crate::model::brand::{self, Brand};
use crate::model::oidc::{self, BrandLink, Login, NewProvider, Provider};
use crate::model::session::{self, SessionKind};
use crate::model::user::{self, NewUser, User};
use crate::model::{BrandId, ProviderId, UserId, member, now};
use crate::oidc::Identity;
use crate::outbound::{self, Client};
use crate::secret;

/// How long a sign-in may stay at the provider.
pub const LOGIN_MINUTES: i64 = 10;
const NAME_MAX: usize = 60;
const CLIENT_ID_MAX: usize = 200;
const SECRET_MAX: usize = 500;
const SCOPES_MAX: usize = 10;
/// The password hash of an account made by single sign-on: no password matches it.
const NO_PASSWORD: &str = "!";

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProviderInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    #[serde(default)]
    pub scopes: Option<String>,
}

/// Adds a provider once its discovery document and keys can be read.
pub async fn add_provider(
    s: &Services,
    http: &Client,
    allow_private: bool,
    me: &User,
    input: ProviderInput,
) -> AppResult<Provider> {
    authz::site_admin(me)?;
    let mut errors = vec![];
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(FieldError::new(
            "name",
            "field_length",
            "is 1 to 60 characters",
        ));
    }
    let client_id = input.client_id.trim().to_string();
    if client_id.is_empty() || client_id.len() > CLIENT_ID_MAX {
        errors.push(FieldError::new(
            "client_id",
            "field_length",
            "is 1 to 200 characters",
        ));
    }
    if input.client_secret.is_empty() || input.client_secret.len() > SECRET_MAX {
        errors.push(FieldError::new(
            "client_secret",
            "field_length",
            "is 1 to 500 characters",
        ));
    }
    let scopes = scopes(input.scopes.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let issuer = input.issuer.trim().to_string();
    outbound::checked_url(issuer.clone(), allow_private)
        .await
        .map_err(|e| rename_field(e, "issuer"))?;
    let found = {
        let (http, issuer) = (http.clone(), issuer.clone());
        tokio::task::spawn_blocking(move || crate::oidc::discover(&http, &issuer))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
    };
    if let Err(why) = found {
        tracing::info!(issuer, why, "an OpenID provider's discovery failed");
        return Err(AppError::invalid(
            "issuer",
            "discovery_failed",
            format!("its discovery document could not be read: {why}"),
        ));
    }
    let secret_value = input.client_secret;
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            if oidc::name_taken(c, &name)? {
                return Err(AppError::Taken(vec![FieldError::new(
                    "name",
                    "provider_name_taken",
                    "another provider has this name",
                )]));
            }
            let row = NewProvider {
                name: &name,
                issuer: &issuer,
                client_id: &client_id,
                client_secret: &secret_value,
                scopes: &scopes,
            };
            let id = oidc::insert(c, &row, now())?;
            oidc::find(c, id)?.ok_or(AppError::NotFound)
        })
    })
    .await
}

/// The scopes asked for: `openid` always, then at most 10 plain tokens.
fn scopes(raw: Option<&str>, errors: &mut Vec<FieldError>) -> String {
    let raw = raw.unwrap_or("openid email profile");
    let mut kept = vec!["openid"];
    for scope in raw.split_whitespace().filter(|s| *s != "openid") {
        let plain = scope.len() <= 64
            && scope
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c));
        if !plain || kept.len() > SCOPES_MAX {
            errors.push(FieldError::new(
                "scopes",
                "scopes_invalid",
                "at most 10 scopes of letters, digits and _ - . : /",
            ));
            break;
        }
        if !kept.contains(&scope) {
            kept.push(scope);
        }
    }
    kept.join(" ")
}

fn rename_field(e: AppError, field: &'static str) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::Validation(
            errors
                .into_iter()
                .map(|f| FieldError { field, ..f })
                .collect(),
        ),
        other => other,
    }
}

/// Every provider, for the site admin.
pub fn providers(c: &mut DbConn, me: &User) -> AppResult<Vec<Provider>> {
    authz::site_admin(me)?;
    Ok(oidc::list(c)?)
}

pub fn delete_provider(c: &mut DbConn, me: &User, id: ProviderId) -> AppResult<()> {
    authz::site_admin(me)?;
    db::write_transaction(c, |c| match oidc::delete(c, id)? {
        0 => Err(AppError::NotFound),
        _ => Ok(()),
    })
}

/// The brand's provider and the ones it may choose from (brand admins).
pub fn brand_link(
    c: &mut DbConn,
    me: &User,
    slug: &str,
) -> AppResult<(Brand, Option<BrandLink>, Vec<Provider>)> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    let link = oidc::brand_link(c, found.id)?;
    Ok((found, link, oidc::list(c)?))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct BrandLinkInput {
    /// None unlinks.
    #[serde(default)]
    pub provider_id: Option<i64>,
    #[serde(default)]
    pub staff_only: bool,
}

/// Links a provider to a brand. Requiring it of staff ends their other sessions, and is
/// refused to a staff member not signed in through it now, so nobody locks a brand's staff
/// out by a provider that does not work.
pub fn set_brand_link(
    c: &mut DbConn,
    me: &User,
    my_provider: Option<ProviderId>,
    slug: &str,
    input: &BrandLinkInput,
) -> AppResult<Option<BrandLink>> {
    let found = brand::find_by_slug(c, slug)?;
    authz::admin_of(c, found.id, me)?;
    db::write_transaction(c, |c| {
        let Some(raw) = input.provider_id else {
            oidc::set_brand_link(c, found.id, None)?;
            return Ok(None);
        };
        let provider = oidc::find(c, ProviderId(raw))?.ok_or_else(|| {
            AppError::invalid("provider_id", "provider_unknown", "no such provider")
        })?;
        let staff: Vec<UserId> = member::list(c, found.id)?
            .iter()
            .map(|m| m.user_id)
            .collect();
        let locks_me_out = staff.contains(&me.id) && my_provider != Some(provider.id);
        if input.staff_only && locks_me_out {
            return Err(AppError::invalid(
                "staff_only",
                "sso_try_first",
                "sign in through this provider yourself before requiring it of staff",
            ));
        }
        oidc::set_brand_link(c, found.id, Some((provider.id, input.staff_only)))?;
        if input.staff_only {
            oidc::end_other_sessions(c, &staff, provider.id)?;
        }
        Ok(oidc::brand_link(c, found.id)?)
    })
}

/// A provider as a sign-in button shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Button {
    pub id: ProviderId,
    pub name: String,
}

/// Providers for sign-in buttons.
pub fn public_providers(c: &mut DbConn) -> AppResult<Vec<Button>> {
    Ok(oidc::list(c)?
        .into_iter()
        .map(|p| Button {
            id: p.id,
            name: p.name,
        })
        .collect())
}

/// The sign-in button a brand's pages show, if it links a provider.
pub fn brand_button(c: &mut DbConn, brand: BrandId) -> AppResult<Option<Button>> {
    Ok(oidc::brand_link(c, brand)?.map(|l| Button {
        id: l.provider_id,
        name: l.provider_name,
    }))
}

/// The redirect URI registered at the provider.
pub fn callback_url(base_url: &str, id: ProviderId) -> String {
    format!("{}/sso/{}/callback", base_url.trim_end_matches('/'), id.0)
}

/// Leaves for the provider: the authorization URL, and the state the browser keeps in a cookie.
pub async fn start(
    s: &Services,
    http: &Client,
    base_url: &str,
    id: ProviderId,
    return_to: String,
    client: IpAddr,
) -> AppResult<(String, String)> {
    s.limits
        .hit(
            &s.db,
            format!("sign-in:addr:{}", address_key(client)),
            super::SIGN_IN_PER_ADDRESS,
        )
        .await?;
    let provider =
        s.db.run(move |c| oidc::find(c, id)?.ok_or(AppError::NotFound))
            .await?;
    let redirect = callback_url(base_url, id);
    let started = {
        let (http, provider) = (http.clone(), provider.clone());
        tokio::task::spawn_blocking(move || crate::oidc::start(&http, &provider, &redirect))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
    }
    .map_err(|why| unreachable_provider(&provider, &why))?;
    let login = Login {
        state_hash: secret::token_hash(&started.state),
        provider_id: id,
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to,
        created_at: now(),
    };
    s.db.run(move |c| Ok(oidc::insert_login(c, &login)?))
        .await?;
    Ok((started.url, started.state))
}

fn unreachable_provider(provider: &Provider, why: &str) -> AppError {
    tracing::warn!(
        provider = provider.name,
        why,
        "an OpenID provider could not be reached"
    );
    AppError::invalid(
        "sso",
        "sso_unreachable",
        format!("{} could not be reached; try again later", provider.name),
    )
}

fn refused(code: &'static str, message: &str) -> AppError {
    AppError::invalid("sso", code, message.to_string())
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// The issuer, from providers that name it (RFC 9207): it must be the one we left for.
    #[serde(default)]
    pub iss: Option<String>,
}

/// A finished sign-in: who, their new session's token, and where they were going.
pub struct SignedIn {
    pub user: User,
    pub token: String,
    pub return_to: String,
}

/// Comes back from the provider: the state must be the one this browser left with (its
/// cookie), unused and recent; the code is exchanged with the PKCE verifier and the ID
/// token checked; then the identity finds, links or makes the account.
pub async fn finish(
    s: &Services,
    http: &Client,
    base_url: &str,
    id: ProviderId,
    back: Callback,
    cookie_state: Option<String>,
    lang: Lang,
) -> AppResult<SignedIn> {
    let state = back.state.unwrap_or_default();
    let browser_matches = cookie_state
        .as_deref()
        // compared as hashes, so the time taken tells nothing about the value
        .is_some_and(|kept| {
            !state.is_empty() && secret::token_hash(kept) == secret::token_hash(&state)
        });
    if !browser_matches || state.len() > 200 {
        return Err(refused(
            "sso_state",
            "this sign-in was not started in this browser",
        ));
    }
    let state_hash = secret::token_hash(&state);
    let login =
        s.db.run(move |c| db::write_transaction(c, |c| Ok(oidc::take_login(c, &state_hash)?)))
            .await?
            .filter(|l| l.provider_id == id)
            .filter(|l| now() - l.created_at <= chrono::Duration::minutes(LOGIN_MINUTES))
            .ok_or_else(|| refused("sso_state", "this sign-in expired or was already used"))?;
    if back.error.is_some() {
        return Err(refused(
            "sso_cancelled",
            "the sign-in was cancelled at the provider",
        ));
    }
    let code = back
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2000)
        .ok_or_else(|| refused("sso_failed", "the provider sent no code"))?;
    let provider =
        s.db.run(move |c| oidc::find(c, id)?.ok_or(AppError::NotFound))
            .await?;
    if back.iss.is_some_and(|iss| iss != provider.issuer) {
        return Err(refused("sso_failed", "the answer names another issuer"));
    }
    let identity = {
        let (http, provider, redirect) =
            (http.clone(), provider.clone(), callback_url(base_url, id));
        tokio::task::spawn_blocking(move || {
            crate::oidc::finish(
                &http,
                &provider,
                &redirect,
                &code,
                &login.nonce,
                &login.pkce_verifier,
            )
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    }
    .map_err(|why| {
        tracing::warn!(
            provider = provider.name,
            why,
            "a single sign-on was refused"
        );
        refused("sso_failed", "the provider's answer could not be verified")
    })?;
    let return_to = login.return_to;
    s.db.run(move |c| {
        db::write_transaction(c, |c| {
            let user = account_for(c, &provider, &identity, lang)?;
            if user.banned_at.is_some() {
                return Err(refused("account_banned", "this account is suspended"));
            }
            staff_rule(c, user.id, Some(provider.id))?;
            let token =
                session::create_via(c, user.id, SessionKind::Web, Some(provider.id), now())?;
            Ok(SignedIn {
                user,
                token,
                return_to,
            })
        })
    })
    .await
}

/// The account an identity signs in to: the one linked before; else the account whose
/// verified address the provider verified too (linked now); else a new one.
fn account_for(c: &mut DbConn, provider: &Provider, who: &Identity, lang: Lang) -> AppResult<User> {
    if let Some(owner) = oidc::identity_owner(c, provider.id, &who.subject)? {
        return Ok(user::find(c, owner)?);
    }
    let mut errors = vec![];
    let email = who
        .email
        .as_deref()
        .filter(|_| who.email_verified)
        .map(|e| validate::email("email", e, &mut errors))
        .filter(|_| errors.is_empty())
        .ok_or_else(|| {
            refused(
                "sso_email_unverified",
                "the provider did not confirm an email address for this account",
            )
        })?;
    let at = now();
    let owner = match user::verified_holder(c, &email)? {
        Some(holder) => user::find(c, holder)?,
        None => {
            let username = free_username(c, who, &email)?;
            let display = who
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(NAME_MAX).collect::<String>())
                .unwrap_or_else(|| username.clone());
            user::insert(
                c,
                &NewUser {
                    username: &username,
                    email: &email,
                    email_key: &user::email_key(&email),
                    email_verified: true,
                    display_name: &display,
                    password_hash: NO_PASSWORD,
                    language: lang.code(),
                    site_admin: false,
                    created_at: at,
                    updated_at: at,
                },
            )?
        }
    };
    oidc::link_identity(c, provider.id, &who.subject, owner.id, at)?;
    Ok(owner)
}

/// A username from the preferred one or the address, made valid and free.
fn free_username(c: &mut DbConn, who: &Identity, email: &str) -> AppResult<String> {
    let wanted = who
        .preferred_username
        .as_deref()
        .unwrap_or_else(|| email.split('@').next().unwrap_or(""));
    let mut base: String = wanted
        .to_lowercase()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                ch
            } else {
                '-'
            }
        })
        .skip_while(|ch| !ch.is_ascii_alphanumeric())
        .take(validate::USERNAME_MAX - 4)
        .collect();
    while base.chars().count() < validate::USERNAME_MIN {
        base.push('0');
    }
    if user::find_by_username(c, &base)?.is_none() {
        return Ok(base);
    }
    for _ in 0..20 {
        let candidate = format!("{base}-{}", rand::random::<u16>() % 1000);
        if user::find_by_username(c, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(AppError::Conflict("no free username could be found"))
}

/// Staff of a brand that requires its provider sign in through that provider only.
pub fn staff_rule(c: &mut DbConn, user: UserId, via: Option<ProviderId>) -> AppResult<()> {
    let required = oidc::required_for_staff(c, user)?;
    match required.iter().find(|(p, _)| Some(*p) != via) {
        None => Ok(()),
        Some((_, name)) => Err(AppError::invalid(
            "login",
            "sso_required",
            format!("staff of this brand sign in with {name}"),
        )),
    }
}
