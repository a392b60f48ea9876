SELECT tilsyn_create_time_series('container_readings', $$
    time             timestamptz NOT NULL,
    container_id     text NOT NULL,
    dev_eui          text NOT NULL,
    distance_mm      integer,
    fill_percent     real,
    battery_percent  smallint,
    tilt             boolean,
    temperature_c    real,
    fcnt             bigint,
    received_at      timestamptz NOT NULL DEFAULT now()
$$, 'city', INTERVAL '7 days');

CREATE INDEX container_readings_by_container ON container_readings (container_id, time DESC);
