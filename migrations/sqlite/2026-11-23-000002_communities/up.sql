-- Brand communities: brands, products, topics of four kinds, replies, revisions, me-toos,
-- helpful votes, follows, and what members earn.
ALTER TABLE users ADD COLUMN helpful_received INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN accepted_answers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_emails ADD COLUMN list_unsubscribe TEXT;

CREATE TABLE brands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    domain TEXT,
    description TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    claimed_at TIMESTAMP,
    topic_count INTEGER NOT NULL DEFAULT 0,
    last_activity_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX brands_name ON brands (name);
CREATE INDEX brands_activity ON brands (last_activity_at);

CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    brand_id INTEGER NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (brand_id, slug)
);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    brand_id INTEGER NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    product_id INTEGER REFERENCES products (id) ON DELETE SET NULL,
    author_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    feeling TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users (id),
    accepted_reply_id INTEGER,
    duplicate_of INTEGER REFERENCES topics (id),
    hidden BOOLEAN NOT NULL DEFAULT 0,
    me_too_count INTEGER NOT NULL DEFAULT 0,
    reply_count INTEGER NOT NULL DEFAULT 0,
    view_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    first_response_at TIMESTAMP,
    first_staff_response_at TIMESTAMP,
    resolved_at TIMESTAMP,
    last_activity_at TIMESTAMP NOT NULL
);
CREATE INDEX topics_brand_activity ON topics (brand_id, last_activity_at);
CREATE INDEX topics_brand_kind_activity ON topics (brand_id, kind, last_activity_at);
CREATE INDEX topics_brand_created ON topics (brand_id, created_at);
CREATE INDEX topics_brand_me_too ON topics (brand_id, me_too_count);
CREATE INDEX topics_author ON topics (author_id, created_at);
CREATE INDEX topics_activity ON topics (hidden, last_activity_at);

CREATE TABLE topic_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    editor_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX topic_revisions_topic ON topic_revisions (topic_id);

CREATE TABLE replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    official BOOLEAN NOT NULL DEFAULT 0,
    hidden BOOLEAN NOT NULL DEFAULT 0,
    helpful_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX replies_topic ON replies (topic_id, id);
CREATE INDEX replies_author ON replies (author_id, created_at);

CREATE TABLE me_toos (
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (topic_id, user_id)
);

CREATE TABLE helpful_votes (
    reply_id INTEGER NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reply_id, user_id)
);

-- Followers of a topic are mailed about new replies at most once per 15 minutes:
-- pending_reply_id marks the first reply not yet mailed.
CREATE TABLE topic_follows (
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    pending_reply_id INTEGER,
    last_mailed_at TIMESTAMP,
    PRIMARY KEY (topic_id, user_id)
);
CREATE INDEX topic_follows_pending ON topic_follows (pending_reply_id);
CREATE INDEX topic_follows_user ON topic_follows (user_id);

CREATE TABLE brand_follows (
    brand_id INTEGER NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (brand_id, user_id)
);
