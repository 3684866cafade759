//! Single sign-on: the OpenID Connect providers, the outside identities linked to accounts,
//! sign-ins under way, and the provider each brand's customers (and maybe staff) use.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{BrandId, ProviderId, UserId};
use crate::db::DbConn;
use crate::db::schema::{
    brand_members, brand_sso, oidc_providers, sessions, sso_logins, user_identities,
};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = oidc_providers)]
pub struct Provider {
    pub id: ProviderId,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    #[serde(skip)]
    pub client_secret: String,
    /// Scopes asked for, separated by spaces; always holds `openid`.
    pub scopes: String,
    pub created_at: NaiveDateTime,
}

pub struct NewProvider<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub scopes: &'a str,
}

pub fn insert(c: &mut DbConn, row: &NewProvider, at: NaiveDateTime) -> QueryResult<ProviderId> {
    diesel::insert_into(oidc_providers::table)
        .values((
            oidc_providers::name.eq(row.name),
            oidc_providers::issuer.eq(row.issuer),
            oidc_providers::client_id.eq(row.client_id),
            oidc_providers::client_secret.eq(row.client_secret),
            oidc_providers::scopes.eq(row.scopes),
            oidc_providers::created_at.eq(at),
        ))
        .returning(oidc_providers::id)
        .get_result(c)
}

pub fn find(c: &mut DbConn, id: ProviderId) -> QueryResult<Option<Provider>> {
    oidc_providers::table
        .find(id)
        .select(Provider::as_select())
        .first(c)
        .optional()
}

pub fn list(c: &mut DbConn) -> QueryResult<Vec<Provider>> {
    oidc_providers::table
        .order(oidc_providers::name)
        .select(Provider::as_select())
        .load(c)
}

pub fn name_taken(c: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        oidc_providers::table.filter(oidc_providers::name.eq(name)),
    ))
    .get_result(c)
}

/// Removes a provider with its links and sign-ins under way; sessions it made stay, as
/// password sessions would.
pub fn delete(c: &mut DbConn, id: ProviderId) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::provider_id.eq(id)))
        .set(sessions::provider_id.eq(None::<ProviderId>))
        .execute(c)?;
    diesel::delete(brand_sso::table.filter(brand_sso::provider_id.eq(id))).execute(c)?;
    diesel::delete(user_identities::table.filter(user_identities::provider_id.eq(id)))
        .execute(c)?;
    diesel::delete(sso_logins::table.filter(sso_logins::provider_id.eq(id))).execute(c)?;
    diesel::delete(oidc_providers::table.find(id)).execute(c)
}

/// The account an outside identity is linked to.
pub fn identity_owner(
    c: &mut DbConn,
    provider: ProviderId,
    subject: &str,
) -> QueryResult<Option<UserId>> {
    user_identities::table
        .find((provider, subject))
        .select(user_identities::user_id)
        .first(c)
        .optional()
}

pub fn link_identity(
    c: &mut DbConn,
    provider: ProviderId,
    subject: &str,
    user: UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(user_identities::table)
        .values((
            user_identities::provider_id.eq(provider),
            user_identities::subject.eq(subject),
            user_identities::user_id.eq(user),
            user_identities::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

/// A sign-in under way, as kept between leaving for the provider and coming back.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sso_logins)]
pub struct Login {
    pub state_hash: String,
    pub provider_id: ProviderId,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_login(c: &mut DbConn, row: &Login) -> QueryResult<()> {
    diesel::insert_into(sso_logins::table)
        .values((
            sso_logins::state_hash.eq(&row.state_hash),
            sso_logins::provider_id.eq(row.provider_id),
            sso_logins::nonce.eq(&row.nonce),
            sso_logins::pkce_verifier.eq(&row.pkce_verifier),
            sso_logins::return_to.eq(&row.return_to),
            sso_logins::created_at.eq(row.created_at),
        ))
        .execute(c)?;
    Ok(())
}

/// Takes a sign-in under way: the first caller gets it, any later one nothing.
pub fn take_login(c: &mut DbConn, state_hash: &str) -> QueryResult<Option<Login>> {
    let found = sso_logins::table
        .find(state_hash)
        .select(Login::as_select())
        .first(c)
        .optional()?;
    let deleted = diesel::delete(sso_logins::table.find(state_hash)).execute(c)?;
    Ok(found.filter(|_| deleted == 1))
}

/// Drops sign-ins abandoned before `before`.
pub fn prune_logins(c: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sso_logins::table.filter(sso_logins::created_at.lt(before))).execute(c)
}

/// A brand's provider, as its pages and settings show it.
#[derive(Debug, Clone, Serialize)]
pub struct BrandLink {
    pub provider_id: ProviderId,
    pub provider_name: String,
    pub staff_only: bool,
}

pub fn brand_link(c: &mut DbConn, brand: BrandId) -> QueryResult<Option<BrandLink>> {
    brand_sso::table
        .inner_join(oidc_providers::table)
        .filter(brand_sso::brand_id.eq(brand))
        .select((
            brand_sso::provider_id,
            oidc_providers::name,
            brand_sso::staff_only,
        ))
        .first::<(ProviderId, String, bool)>(c)
        .optional()
        .map(|found| {
            found.map(|(provider_id, provider_name, staff_only)| BrandLink {
                provider_id,
                provider_name,
                staff_only,
            })
        })
}

pub fn set_brand_link(
    c: &mut DbConn,
    brand: BrandId,
    link: Option<(ProviderId, bool)>,
) -> QueryResult<()> {
    diesel::delete(brand_sso::table.find(brand)).execute(c)?;
    if let Some((provider, staff_only)) = link {
        diesel::insert_into(brand_sso::table)
            .values((
                brand_sso::brand_id.eq(brand),
                brand_sso::provider_id.eq(provider),
                brand_sso::staff_only.eq(staff_only),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// The providers a person's staff roles require them to sign in through (one, normally).
pub fn required_for_staff(c: &mut DbConn, user: UserId) -> QueryResult<Vec<(ProviderId, String)>> {
    brand_members::table
        .inner_join(brand_sso::table.on(brand_sso::brand_id.eq(brand_members::brand_id)))
        .inner_join(oidc_providers::table.on(oidc_providers::id.eq(brand_sso::provider_id)))
        .filter(brand_members::user_id.eq(user))
        .filter(brand_sso::staff_only.eq(true))
        .select((oidc_providers::id, oidc_providers::name))
        .distinct()
        .load(c)
}

/// Ends the sessions of `users` not signed in through `provider`.
pub fn end_other_sessions(
    c: &mut DbConn,
    users: &[UserId],
    provider: ProviderId,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq_any(users))
            .filter(
                sessions::provider_id
                    .is_null()
                    .or(sessions::provider_id.ne(provider)),
            ),
    )
    .execute(c)
}
