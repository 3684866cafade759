DROP TABLE brand_widgets;
DROP TABLE voices;
DROP TABLE brand_feeds;
DROP TABLE topic_fields;
DROP TABLE brand_fields;
DROP TABLE inbound_mails;
ALTER TABLE outbox_emails DROP COLUMN reply_to;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
