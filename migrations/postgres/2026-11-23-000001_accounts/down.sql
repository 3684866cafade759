DROP TABLE rate_limits;
DROP TABLE outbox_emails;
DROP TABLE account_tokens;
DROP TABLE sessions;
DROP TABLE users;
