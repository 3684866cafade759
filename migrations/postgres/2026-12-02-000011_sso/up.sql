-- Single sign-on. The OpenID Connect providers a site admin configures; the client secret is
-- kept for the token exchange and never shown again.
CREATE TABLE oidc_providers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- An outside identity (the provider's subject) linked to one account here.
CREATE TABLE user_identities (
    provider_id BIGINT NOT NULL REFERENCES oidc_providers (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A sign-in under way: the state (kept as a hash; the browser holds it in a cookie too), the
-- nonce and the PKCE verifier, used once and within minutes.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES oidc_providers (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The provider a brand's customers sign in with; staff_only: its staff may sign in no other way.
CREATE TABLE brand_sso (
    brand_id BIGINT PRIMARY KEY REFERENCES brands (id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES oidc_providers (id) ON DELETE CASCADE,
    staff_only BOOLEAN NOT NULL
);
CREATE INDEX brand_sso_provider ON brand_sso (provider_id);

-- How a session was signed in: through which provider, or by password (NULL). No foreign key,
-- so SQLite can drop the column again; removing a provider clears it.
ALTER TABLE sessions ADD COLUMN provider_id BIGINT;
