-- LoRaWAN (re)joins: a join starts a new session whose frame counters begin again at zero, so a
-- low fCnt after a join is a new frame, not a replay.
SELECT tilsyn_create_time_series('device_joins', $$
    time     timestamptz NOT NULL,
    dev_eui  text NOT NULL
$$, 'city', INTERVAL '30 days');
CREATE INDEX device_joins_by_device ON device_joins (dev_eui, time DESC);
