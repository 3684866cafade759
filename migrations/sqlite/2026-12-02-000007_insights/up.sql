-- Insights: brand champions granted by a brand's admins, and indexes that cover the
-- figures' aggregate queries, so they read index entries instead of whole topic and reply
-- rows (bodies included). Reads of the brand page and the topic page use them as before.
CREATE TABLE brand_champions (
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (brand_id, user_id)
);

DROP INDEX topics_brand_created;
CREATE INDEX topics_brand_created ON topics (brand_id, created_at, kind, status, feeling, hidden, duplicate_of, product_id, first_response_at, first_staff_response_at, resolved_at, assignee_id, accepted_reply_id);
DROP INDEX topics_brand_activity;
CREATE INDEX topics_brand_activity ON topics (brand_id, last_activity_at, hidden, duplicate_of, product_id, author_id, accepted_reply_id, created_at, first_staff_response_at);
CREATE INDEX topics_brand_resolved ON topics (brand_id, resolved_at, hidden, duplicate_of, product_id, kind, status, reply_count, first_staff_response_at, created_at);
CREATE INDEX topics_created ON topics (created_at, hidden, duplicate_of, kind, status, feeling, brand_id, product_id, first_response_at, first_staff_response_at, resolved_at, assignee_id, accepted_reply_id);
DROP INDEX topics_activity;
CREATE INDEX topics_activity ON topics (hidden, last_activity_at, duplicate_of, author_id, accepted_reply_id);
DROP INDEX replies_topic;
CREATE INDEX replies_topic ON replies (topic_id, id, created_at, author_id, official, hidden, helpful_count);
CREATE INDEX me_toos_created ON me_toos (created_at, topic_id);
CREATE INDEX topic_events_actor ON topic_events (actor_id, created_at);
