-- How far the hand-hygiene matcher's clock has decided quiet badges (seconds since the epoch,
-- the `now` of its last tick), stored with that tick's counts. A tick rewrites only the badges
-- it changed; the next holder of the role replays this tick on every stored state, which gives
-- the others exactly what the last holder had in memory.
CREATE TABLE hygiene_matcher_clock (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    ticked_at bigint NOT NULL
);
