-- Badge events the compliance counts leave out, per ward, local day and reason: "late" came
-- after their time had been decided, "unmapped" crossed a zone that is not registered. For a
-- crossing WHO counts as an opportunity, its zone type; NULL for a rub or another crossing.
-- Kept beside the rates so a rate on fewer opportunities than happened does not pass for the
-- whole. No badge or staff identity, as in hygiene_compliance_counts.
SELECT tilsyn_create_time_series('hygiene_dropped_counts', $$
    time       timestamptz NOT NULL,
    ward_id    text NOT NULL,
    day        date NOT NULL,
    reason     text NOT NULL CHECK (reason IN ('late', 'unmapped')),
    zone_type  text,
    events     integer NOT NULL CHECK (events > 0)
$$, 'hygiene', INTERVAL '7 days');
CREATE INDEX hygiene_dropped_counts_by_ward ON hygiene_dropped_counts (ward_id, day);
