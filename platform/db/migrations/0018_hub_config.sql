-- The configuration last pushed to each home hub (retained on tilsyn/edge/{hub}/config): its
-- version, which only grows, and a digest of its content, so a change is pushed once.
CREATE TABLE hub_config_pushed (
    hub_id     text PRIMARY KEY REFERENCES hubs (hub_id) ON DELETE CASCADE,
    version    bigint NOT NULL CHECK (version > 0),
    digest     text NOT NULL,
    pushed_at  timestamptz NOT NULL
);
