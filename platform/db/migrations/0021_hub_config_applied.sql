-- The configuration version a hub reports it has applied (`config.version` in its health
-- report, docs/edge.md), to compare with the one pushed. NULL from agents that report none.
ALTER TABLE hub_health ADD COLUMN config_version bigint;

-- What was pushed must outlive the hub: the retained config of a removed hub stays on the
-- broker until the pusher clears it, and only this row says there is one to clear.
ALTER TABLE hub_config_pushed DROP CONSTRAINT hub_config_pushed_hub_id_fkey;

-- A hub's latest configuration that could not be sent, and why (too big for a broker
-- packet), shown with the hub's health; `digest` is of that content, so the pusher says it
-- once per change. Gone once a configuration is pushed again, or with the hub.
CREATE TABLE hub_config_unsent (
    hub_id  text PRIMARY KEY REFERENCES hubs (hub_id) ON DELETE CASCADE,
    digest  text NOT NULL,
    reason  text NOT NULL,
    since   timestamptz NOT NULL
);
