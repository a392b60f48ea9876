-- Badge messages between the ingest worker that stored them and the one process that matches
-- hand-hygiene opportunities (ingest/hygiene_matcher.py). Every worker of a share group writes
-- here; the matcher takes rows in id order and deletes them in the transaction that stores
-- the counts they decided, so a row lives seconds, unless no ingest process runs at all.
CREATE TABLE hygiene_inbox (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    dev_eui text NOT NULL,
    ward_id text NOT NULL,
    message jsonb NOT NULL
);

-- What the matcher holds back per badge (the events of the last minutes, for late messages,
-- and how far it has decided), stored in the same transaction: whichever worker takes the
-- role next goes on from here, so a restart loses no opportunity.
CREATE TABLE hygiene_badge_state (
    dev_eui text NOT NULL,
    ward_id text NOT NULL,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dev_eui, ward_id)
);
