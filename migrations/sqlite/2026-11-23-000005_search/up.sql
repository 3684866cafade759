-- The search index's change log: every write that changes searchable content notes the
-- topic here, in its own transaction; each node's indexer applies the log in order.
CREATE TABLE search_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
