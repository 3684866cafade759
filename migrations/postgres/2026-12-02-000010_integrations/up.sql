-- Integrations. Webhooks: a brand's endpoints hear of its events. Each event becomes one delivery per
-- endpoint, written in the event's transaction and sent by the webhook sender with retries
-- (the outbox pattern); message_id is the Standard Webhooks id, the same on every attempt.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_brand ON webhooks (brand_id);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- Replies by email: notification mail carries a per-recipient Reply-To; each inbound
-- message is kept by its Message-ID (or a hash), so it is never posted twice.
ALTER TABLE outbox_emails ADD COLUMN reply_to TEXT;
CREATE TABLE inbound_mails (
    message_key TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    received_at TIMESTAMP NOT NULL
);

-- Extra details a brand asks for per kind of topic (product version, order number, device);
-- a private one is seen by the topic's author and the brand's staff only.
CREATE TABLE brand_fields (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    private BOOLEAN NOT NULL DEFAULT FALSE,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (brand_id, kind, name)
);
CREATE TABLE topic_fields (
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    field_id BIGINT NOT NULL REFERENCES brand_fields (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    PRIMARY KEY (topic_id, field_id)
);

-- Listening outside: external feeds a brand watches; items matching its monitors become
-- voices in its staff's inbox, once each (unique per feed and item id).
CREATE TABLE brand_feeds (
    id BIGSERIAL PRIMARY KEY,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    next_poll_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (brand_id, url)
);
CREATE INDEX brand_feeds_due ON brand_feeds (next_poll_at);
CREATE TABLE voices (
    id BIGSERIAL PRIMARY KEY,
    feed_id BIGINT NOT NULL REFERENCES brand_feeds (id) ON DELETE CASCADE,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    guid TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    link TEXT,
    published_at TIMESTAMP,
    matched TEXT NOT NULL,
    state TEXT NOT NULL,
    topic_id BIGINT REFERENCES topics (id) ON DELETE SET NULL,
    found_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    UNIQUE (feed_id, guid)
);
CREATE INDEX voices_inbox ON voices (brand_id, state, id);

-- The feedback widget: the sites (origins) a brand lets embed it, space-separated.
CREATE TABLE brand_widgets (
    brand_id BIGINT PRIMARY KEY REFERENCES brands (id) ON DELETE CASCADE,
    origins TEXT NOT NULL
);
