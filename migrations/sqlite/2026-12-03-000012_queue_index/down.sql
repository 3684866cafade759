DROP INDEX topics_brand_resolved;
CREATE INDEX topics_brand_resolved ON topics (brand_id, resolved_at, hidden, duplicate_of, product_id, kind, status, reply_count, first_staff_response_at, created_at);
