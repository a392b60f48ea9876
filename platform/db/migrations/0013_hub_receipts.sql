-- Hub health reports say how many queued messages await the platform's receipt and how many
-- sends the hub repeated for want of one (docs/edge.md). NULL in reports from older agents.
ALTER TABLE hub_health
    ADD COLUMN awaiting_receipt integer,
    ADD COLUMN resent_without_receipt bigint;
