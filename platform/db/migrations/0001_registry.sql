-- The device registry shared by every family, and the assets the devices belong to.
CREATE TABLE devices (
    -- A LoRaWAN DevEUI (16 lowercase hex digits) or a home hub's id.
    device_id      text PRIMARY KEY CHECK (device_id <> ''),
    family         text NOT NULL CHECK (family IN ('container', 'dispenser', 'badge', 'hub')),
    codec          text NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (family = 'hub' OR device_id ~ '^[0-9a-f]{16}$')
);

CREATE TABLE containers (
    container_id          text PRIMARY KEY CHECK (container_id <> ''),
    dev_eui               text NOT NULL UNIQUE REFERENCES devices (device_id),
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

-- Hospital wards with their hand-hygiene zones, dispensers and badges. Badges carry a role
-- category only: nothing here or in the events links a badge to a person.
CREATE TABLE wards (
    ward_id            text PRIMARY KEY,
    name               text NOT NULL,
    hospital           text NOT NULL DEFAULT '',
    compliance_target  real NOT NULL DEFAULT 0.8 CHECK (compliance_target BETWEEN 0 AND 1)
);

CREATE TABLE hygiene_zones (
    ward_id    text NOT NULL REFERENCES wards (ward_id),
    zone_id    integer NOT NULL,
    room_id    text NOT NULL,
    zone_type  text NOT NULL CHECK (zone_type IN ('patient_zone', 'clean_room', 'unclean_room')),
    name       text NOT NULL DEFAULT '',
    PRIMARY KEY (ward_id, zone_id)
);

CREATE TABLE dispensers (
    dev_eui               text PRIMARY KEY REFERENCES devices (device_id),
    ward_id               text NOT NULL REFERENCES wards (ward_id),
    dispenser_id          integer NOT NULL,
    zone_id               integer NOT NULL,
    room_id               text NOT NULL,
    reporting_interval_s  integer NOT NULL DEFAULT 3600 CHECK (reporting_interval_s > 0),
    UNIQUE (ward_id, dispenser_id),
    FOREIGN KEY (ward_id, zone_id) REFERENCES hygiene_zones (ward_id, zone_id)
);

CREATE TABLE badges (
    dev_eui  text PRIMARY KEY REFERENCES devices (device_id),
    ward_id  text NOT NULL REFERENCES wards (ward_id),
    role     text NOT NULL CHECK (role IN ('nurse', 'doctor', 'care_assistant', 'therapist',
                                           'cleaner', 'other'))
);

-- Home follow-up: patients and the hubs that send their measurements.
CREATE TABLE patients (
    patient_id     text PRIMARY KEY CHECK (patient_id <> ''),
    unit           text NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hubs (
    hub_id  text PRIMARY KEY REFERENCES devices (device_id),
    unit    text NOT NULL
);

CREATE TABLE hub_patients (
    hub_id      text NOT NULL REFERENCES hubs (hub_id),
    patient_id  text NOT NULL REFERENCES patients (patient_id),
    PRIMARY KEY (hub_id, patient_id)
);
