-- Keyword monitors: a brand's staff save queries over every community and hear of new
-- matches (mail at once, in the hourly digest, or only on the monitor's page).
CREATE TABLE monitors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    brand_id BIGINT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    query TEXT NOT NULL,
    notify TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX monitors_brand ON monitors (brand_id);

CREATE TABLE monitor_matches (
    monitor_id BIGINT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    matched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (monitor_id, topic_id)
);
CREATE INDEX monitor_matches_recent ON monitor_matches (monitor_id, matched_at);
