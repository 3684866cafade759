DROP INDEX topics_created;
CREATE INDEX topics_created ON topics (created_at, hidden, duplicate_of, kind, status, feeling, brand_id, product_id, first_response_at, first_staff_response_at, resolved_at, assignee_id, accepted_reply_id);
DROP INDEX topics_brand_created;
CREATE INDEX topics_brand_created ON topics (brand_id, created_at, kind, status, feeling, hidden, duplicate_of, product_id, first_response_at, first_staff_response_at, resolved_at, assignee_id, accepted_reply_id);
DROP INDEX topics_brand_activity;
CREATE INDEX topics_brand_activity ON topics (brand_id, last_activity_at, hidden, duplicate_of, product_id, author_id, accepted_reply_id, created_at, first_staff_response_at);
DROP INDEX topics_activity;
CREATE INDEX topics_activity ON topics (hidden, last_activity_at, duplicate_of, author_id, accepted_reply_id);
