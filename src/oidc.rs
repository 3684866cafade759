//! The OpenID Connect relying party, on the `openidconnect` crate: discovery, the
//! authorization request (state, nonce, PKCE S256) and the code exchange, whose ID token is
//! checked for its signature against the provider's published keys, issuer, audience, expiry
//! and nonce. Every call goes through the outbound client, so the address rules of webhooks
//! apply to providers too. All blocking.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SyncHttpClient, TokenResponse,
};

use crate::model::oidc::Provider;
use crate::outbound::{CallError, Client};

/// Largest answer read from a provider (discovery, keys, tokens).
const ANSWER_MAX: u64 = 256 * 1024;

/// The outbound client as the crate's HTTP client.
struct Http<'a>(&'a Client);

impl SyncHttpClient for Http<'_> {
    type Error = CallError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, CallError> {
        self.0.exchange(request, ANSWER_MAX)
    }
}

/// Reads the provider's discovery document and keys; the issuer it names must be `issuer`.
pub fn discover(http: &Client, issuer: &str) -> Result<CoreProviderMetadata, String> {
    let issuer = IssuerUrl::new(issuer.to_string()).map_err(|e| e.to_string())?;
    CoreProviderMetadata::discover(&issuer, &Http(http)).map_err(|e| error_chain(&e))
}

/// Where a sign-in leaves for, and what must come back with it.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

pub fn start(http: &Client, provider: &Provider, redirect: &str) -> Result<Started, String> {
    let client = client(discover(http, &provider.issuer)?, provider, redirect)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in provider
        .scopes
        .split_whitespace()
        .filter(|s| *s != "openid")
    {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
}

/// Exchanges the code (with the PKCE verifier) and checks the ID token it brings.
pub fn finish(
    http: &Client,
    provider: &Provider,
    redirect: &str,
    code: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<Identity, String> {
    let client = client(discover(http, &provider.issuer)?, provider, redirect)?;
    let answer = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| e.to_string())?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request(&Http(http))
        .map_err(|e| format!("token request: {}", error_chain(&e)))?;
    let id_token = answer
        .id_token()
        .ok_or("the token answer holds no ID token")?;
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_string()))
        .map_err(|e| format!("ID token: {}", error_chain(&e)))?;
    if let Some(expected) = claims.access_token_hash() {
        let signing_alg = id_token.signing_alg().map_err(|e| e.to_string())?;
        let key = id_token.signing_key(&verifier).map_err(|e| e.to_string())?;
        let actual = AccessTokenHash::from_token(answer.access_token(), signing_alg, key)
            .map_err(|e| e.to_string())?;
        if actual != *expected {
            return Err("the access token does not match the ID token's at_hash".into());
        }
    }
    Ok(Identity {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified() == Some(true),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string()),
        preferred_username: claims.preferred_username().map(|u| u.as_str().to_string()),
    })
}

type Configured = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(
    metadata: CoreProviderMetadata,
    provider: &Provider,
    redirect: &str,
) -> Result<Configured, String> {
    // client_secret_basic unless the provider takes the secret only in the body
    let methods = metadata.token_endpoint_auth_methods_supported().cloned();
    let post_only = methods.is_some_and(|m| {
        !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            && m.contains(&CoreClientAuthMethod::ClientSecretPost)
    });
    let redirect = RedirectUrl::new(redirect.to_string()).map_err(|e| e.to_string())?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect);
    Ok(if post_only {
        client.set_auth_type(AuthType::RequestBody)
    } else {
        client
    })
}

/// An error with its causes, for the log and the admin's form.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
