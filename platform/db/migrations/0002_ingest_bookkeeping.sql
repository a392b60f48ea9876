-- What ingest could not store as a reading is kept here with its reason, never dropped.

-- Well-formed uplinks from devices the registry does not know.
CREATE TABLE quarantine (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    topic        text NOT NULL,
    dev_eui      text,
    reason       text NOT NULL,
    payload      bytea NOT NULL
);
CREATE INDEX quarantine_received_at ON quarantine (received_at DESC);

-- Messages that cannot be parsed, decoded or validated.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    topic        text NOT NULL,
    reason       text NOT NULL,
    payload      bytea NOT NULL
);
CREATE INDEX dead_letters_received_at ON dead_letters (received_at DESC);

-- Idempotency keys of everything stored, so a redelivered message is stored once.
CREATE TABLE ingest_keys (
    key      text PRIMARY KEY,
    seen_at  timestamptz NOT NULL DEFAULT now()
);

-- The newest reading per container, kept current by ingest for the live map.
CREATE TABLE container_latest (
    container_id     text PRIMARY KEY REFERENCES containers (container_id) ON DELETE CASCADE,
    time             timestamptz NOT NULL,
    distance_mm      integer,
    fill_percent     real,
    battery_percent  smallint,
    tilt             boolean,
    temperature_c    real,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
