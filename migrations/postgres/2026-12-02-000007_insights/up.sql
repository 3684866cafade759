-- Insights: brand champions granted by a brand's admins, and the indexes that let the
-- figures be counted by aggregate queries over a period.
CREATE TABLE brand_champions (
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (brand_id, user_id)
);
CREATE INDEX topics_created ON topics (created_at);
CREATE INDEX topics_brand_resolved ON topics (brand_id, resolved_at);
CREATE INDEX me_toos_created ON me_toos (created_at);
CREATE INDEX topic_events_actor ON topic_events (actor_id, created_at);
