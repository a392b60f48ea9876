-- What home hubs report about themselves: queue depth, drops, contact, device batteries.
SELECT tilsyn_create_time_series('hub_health', $$
    time              timestamptz NOT NULL,
    hub_id            text NOT NULL,
    queue_depth       integer NOT NULL,
    queue_bytes       bigint NOT NULL,
    oldest_queued_at  timestamptz,
    last_contact      timestamptz,
    dropped_total     bigint NOT NULL,
    dropped_by_reason jsonb NOT NULL,
    devices           jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
$$, 'city', INTERVAL '7 days');
CREATE INDEX hub_health_by_hub ON hub_health (hub_id, time DESC);
