-- Being seen to answer: incidents (spikes of "me too" over near-duplicate topics) with the
-- topics they link and a notice pinned on the brand page; customers confirming a fix;
-- official answers that wait for a supervisor's approval; answers verified for a version
-- until a review date; brands' public response times.
ALTER TABLE escalation_settings ADD COLUMN spike_me_toos INTEGER NOT NULL DEFAULT 10;
ALTER TABLE escalation_settings ADD COLUMN spike_minutes INTEGER NOT NULL DEFAULT 60;

CREATE TABLE escalation_topics (
    escalation_id BIGINT NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (escalation_id, topic_id)
);
CREATE INDEX escalation_topics_topic ON escalation_topics (topic_id);
-- when the people an incident touched were told it is resolved
ALTER TABLE escalations ADD COLUMN announced_at TIMESTAMP;
CREATE INDEX me_toos_recent ON me_toos (created_at, topic_id);
-- the staff queue's priority counts each topic's me-toos of the last day
CREATE INDEX me_toos_topic_time ON me_toos (topic_id, created_at);

CREATE TABLE brand_notices (
    brand_id BIGINT PRIMARY KEY REFERENCES brands (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    escalation_id BIGINT REFERENCES escalations (id) ON DELETE SET NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- resolved_at: the resolution the answer is about (a topic reopened and solved again asks again).
CREATE TABLE fix_answers (
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resolved_at TIMESTAMP NOT NULL,
    fixed BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (topic_id, user_id, resolved_at)
);
CREATE INDEX fix_answers_created ON fix_answers (created_at, topic_id);

ALTER TABLE brand_members ADD COLUMN needs_approval BOOLEAN NOT NULL DEFAULT FALSE;

-- state: pending, returned. An approved answer becomes a reply and its row goes.
CREATE TABLE pending_replies (
    id BIGSERIAL PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    official_answer BOOLEAN NOT NULL,
    verified_version TEXT,
    review_at TIMESTAMP,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP
);
CREATE INDEX pending_replies_brand ON pending_replies (brand_id, state, id);
CREATE INDEX pending_replies_author ON pending_replies (author_id, state, id);

ALTER TABLE replies ADD COLUMN verified_version TEXT;
ALTER TABLE replies ADD COLUMN review_at TIMESTAMP;
CREATE INDEX replies_review ON replies (review_at, topic_id) WHERE review_at IS NOT NULL;

ALTER TABLE brands ADD COLUMN hide_response_times BOOLEAN NOT NULL DEFAULT FALSE;
