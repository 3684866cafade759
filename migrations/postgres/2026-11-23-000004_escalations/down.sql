ALTER TABLE outbox_emails DROP COLUMN recipient_id;
ALTER TABLE outbox_emails DROP COLUMN staff_of_brand;
DROP TABLE digest_items;
DROP TABLE notification_settings;
DROP TABLE escalation_links;
DROP TABLE escalations;
DROP TABLE escalation_recipients;
DROP TABLE escalation_settings;
