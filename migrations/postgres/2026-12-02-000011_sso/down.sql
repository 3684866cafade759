ALTER TABLE sessions DROP COLUMN provider_id;
DROP TABLE brand_sso;
DROP TABLE sso_logins;
DROP TABLE user_identities;
DROP TABLE oidc_providers;
