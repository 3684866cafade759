-- Escalations: threads that need the company, who hears of them, and the rules that open
-- them by themselves; notification preferences and hourly digests; a recipient check for mail.
CREATE TABLE escalation_settings (
    brand_id BIGINT PRIMARY KEY REFERENCES brands (id) ON DELETE CASCADE,
    unanswered_minutes INTEGER,
    no_staff_reply_minutes INTEGER,
    me_too_threshold INTEGER,
    feeling_minutes INTEGER,
    acknowledge_minutes INTEGER NOT NULL DEFAULT 60
);

CREATE TABLE escalation_recipients (
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (brand_id, user_id)
);

-- state: open, acknowledged, resolved. rule: which brand rule opened it (NULL when a person
-- did); a rule opens at most one escalation per topic.
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    level INTEGER NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    rule TEXT,
    opened_by BIGINT REFERENCES users (id),
    state TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TIMESTAMP,
    resolved_by BIGINT REFERENCES users (id),
    resolved_at TIMESTAMP,
    level2_at TIMESTAMP
);
CREATE UNIQUE INDEX escalations_topic_rule ON escalations (topic_id, rule) WHERE rule IS NOT NULL;
CREATE INDEX escalations_brand_state ON escalations (brand_id, state, opened_at);
CREATE INDEX escalations_topic ON escalations (topic_id);
CREATE INDEX escalations_open ON escalations (state, level2_at);

-- One-click acknowledge links, one per escalation and recipient.
CREATE TABLE escalation_links (
    token_hash TEXT PRIMARY KEY,
    escalation_id BIGINT NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);

-- mode per kind of notification: immediately, hourly, off (no row: immediately).
CREATE TABLE notification_settings (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- What waits for a member's hourly digest.
CREATE TABLE digest_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX digest_items_user ON digest_items (user_id, id);

-- Staff mail is checked again when it is sent: the recipient must still work the brand.
ALTER TABLE outbox_emails ADD COLUMN staff_of_brand BIGINT;
ALTER TABLE outbox_emails ADD COLUMN recipient_id BIGINT;
