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

-- The matcher's bookkeeping: `epoch` counts takings of the role, so a matcher that gets it
-- back knows whether another held it meanwhile; `writes` counts its commits, so one whose
-- commit's answer was lost knows whether it landed.
CREATE TABLE hygiene_matcher (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    epoch bigint NOT NULL DEFAULT 0,
    writes bigint NOT NULL DEFAULT 0
);
INSERT INTO hygiene_matcher DEFAULT VALUES;
