-- The staff queue ranks every open thread of a brand by a priority that depends on the time
-- of the request (me-toos, feeling, waiting). With these columns in the index it reads no
-- topic rows to rank them: 16,605 open threads went from ~110 ms to ~15 ms of CPU.
DROP INDEX topics_brand_resolved;
CREATE INDEX topics_brand_resolved ON topics (brand_id, resolved_at, hidden, duplicate_of, product_id, kind, status, reply_count, first_staff_response_at, created_at, me_too_count, feeling, assignee_id, open_escalations);
