-- The time series of the other families. Hygiene tables hold no badge or staff identity:
-- only ward, role category and zone type.

SELECT tilsyn_create_time_series('dispenser_status', $$
    time             timestamptz NOT NULL,
    dev_eui          text NOT NULL,
    ward_id          text NOT NULL,
    dispenser_id     integer NOT NULL,
    use_count        bigint NOT NULL,
    refill_percent   smallint NOT NULL,
    battery_percent  smallint NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now()
$$, 'hygiene', INTERVAL '7 days');
CREATE INDEX dispenser_status_by_dispenser ON dispenser_status (dev_eui, time DESC);

SELECT tilsyn_create_time_series('dispenser_uses', $$
    time          timestamptz NOT NULL,
    ward_id       text NOT NULL,
    dispenser_id  integer NOT NULL
$$, 'hygiene', INTERVAL '7 days');

-- Decided hand-hygiene opportunities, counted per ward, zone type, local day and role: the
-- only form compliance is stored in. Several rows per cell add up (one per decision batch).
SELECT tilsyn_create_time_series('hygiene_compliance_counts', $$
    time           timestamptz NOT NULL,
    ward_id        text NOT NULL,
    zone_type      text NOT NULL,
    day            date NOT NULL,
    role           text NOT NULL,
    opportunities  integer NOT NULL CHECK (opportunities > 0),
    met            integer NOT NULL CHECK (met BETWEEN 0 AND opportunities)
$$, 'hygiene', INTERVAL '7 days');
CREATE INDEX hygiene_compliance_counts_by_ward ON hygiene_compliance_counts (ward_id, day);

-- One row per measured value; a blood-pressure panel gives a systolic and a diastolic row with
-- the same observation id.
SELECT tilsyn_create_time_series('vital_observations', $$
    time            timestamptz NOT NULL,
    patient_id      text NOT NULL,
    kind            text NOT NULL,
    value           double precision NOT NULL,
    unit            text NOT NULL,
    observation_id  text,
    device_id       text,
    hub_id          text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
$$, 'health', INTERVAL '7 days');
CREATE INDEX vital_observations_by_patient ON vital_observations (patient_id, kind, time DESC);

SELECT tilsyn_create_time_series('questionnaire_answers', $$
    time           timestamptz NOT NULL,
    patient_id     text NOT NULL,
    questionnaire  text NOT NULL,
    answers        jsonb NOT NULL,
    response_id    text,
    hub_id         text NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
$$, 'health', INTERVAL '7 days');
CREATE INDEX questionnaire_answers_by_patient ON questionnaire_answers (patient_id, time DESC);
