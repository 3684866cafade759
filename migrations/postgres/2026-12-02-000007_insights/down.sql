DROP INDEX topic_events_actor;
DROP INDEX me_toos_created;
DROP INDEX topics_brand_resolved;
DROP INDEX topics_created;
DROP TABLE brand_champions;
