-- Official ownership and the staff workflow: claims, brand staff and invitations, response
-- targets, saved replies, internal notes, the topic timeline, flags, locks and bans.
ALTER TABLE users ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE brands ADD COLUMN first_response_minutes INTEGER;
ALTER TABLE topics ADD COLUMN official BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE topics ADD COLUMN locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE topics ADD COLUMN official_reply_id BIGINT;
ALTER TABLE topics ADD COLUMN open_escalations INTEGER NOT NULL DEFAULT 0;
CREATE INDEX topics_assignee ON topics (assignee_id);

CREATE TABLE brand_members (
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (brand_id, user_id)
);
CREATE INDEX brand_members_user ON brand_members (user_id);

-- state: mailed (link sent to an address at the brand's domain), pending (a site admin
-- decides), confirmed, approved, rejected, revoked.
CREATE TABLE brand_claims (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP
);
CREATE INDEX brand_claims_state ON brand_claims (state, created_at);
CREATE INDEX brand_claims_brand ON brand_claims (brand_id);

CREATE TABLE staff_invitations (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_invitations_brand ON staff_invitations (brand_id);

CREATE TABLE saved_replies (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_replies_brand ON saved_replies (brand_id);

CREATE TABLE internal_notes (
    id BIGSERIAL PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX internal_notes_topic ON internal_notes (topic_id, id);

-- The audit timeline; public events show to everyone, the rest to the brand's staff.
CREATE TABLE topic_events (
    id BIGSERIAL PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES users (id),
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX topic_events_topic ON topic_events (topic_id, id);

CREATE TABLE flags (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    reply_id BIGINT REFERENCES replies (id) ON DELETE CASCADE,
    reporter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_by BIGINT REFERENCES users (id),
    resolved_at TIMESTAMP
);
CREATE INDEX flags_brand_state ON flags (brand_id, state, created_at);
CREATE INDEX flags_topic ON flags (topic_id);
