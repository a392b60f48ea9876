-- The device registry: every sensor the platform accepts data from, and the containers they sit in.
CREATE TABLE devices (
    dev_eui        text PRIMARY KEY CHECK (dev_eui ~ '^[0-9a-f]{16}$'),
    family         text NOT NULL CHECK (family IN ('container', 'dispenser', 'badge', 'hub')),
    codec          text NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE containers (
    container_id          text PRIMARY KEY CHECK (container_id <> ''),
    dev_eui               text NOT NULL UNIQUE REFERENCES devices (dev_eui),
    waste_kind            text NOT NULL,
    capacity_litres       real NOT NULL CHECK (capacity_litres > 0),
    -- Geometry of the ultrasonic sensor: distance to the bottom when empty, to the waste when full.
    empty_distance_mm     integer NOT NULL CHECK (empty_distance_mm > 0),
    full_distance_mm      integer NOT NULL CHECK (full_distance_mm >= 0),
    latitude              double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude             double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    address               text,
    reporting_interval_s  integer NOT NULL DEFAULT 3600 CHECK (reporting_interval_s > 0),
    registered_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (full_distance_mm < empty_distance_mm)
);
