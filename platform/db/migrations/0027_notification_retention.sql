-- Retention finds old notifications by age, oldest first.
CREATE INDEX notification_outbox_by_age ON notification_outbox (created_at);
