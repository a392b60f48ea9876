-- The hand-hygiene matcher's once-a-minute tick rewrites only the badges it changed
-- (ingest/hygiene_matcher.py). What it changed in the others (how far they are decided) is
-- its clock: stored here with the round that wrote it. The next holder of the role replays
-- that tick on every badge state written in that round or before (a badge first seen after
-- the tick never had it), which gives them exactly what the last holder had in memory.
CREATE SEQUENCE hygiene_matcher_rounds;

ALTER TABLE hygiene_badge_state ADD COLUMN written_in bigint NOT NULL DEFAULT 0;

CREATE TABLE hygiene_matcher_clock (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    ticked_at bigint NOT NULL,    -- the tick's `now`, seconds since the epoch
    written_in bigint NOT NULL    -- the round that stored it
);
