-- Rollups on TimescaleDB: continuous aggregates with real-time aggregation (recent rows not yet
-- materialised are included), so they answer like the PostgreSQL rollup views. Compression of
-- older chunks. Retention is applied by the platform's maintenance job (drop_chunks), with the
-- configured period per data class; that job also widens each refresh window below to reach
-- back to the day before its source's retention, so late rows are counted.

CREATE MATERIALIZED VIEW container_fill_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, container_id,
           count(fill_percent) AS readings, avg(fill_percent)::real AS fill_avg,
           min(fill_percent) AS fill_min, max(fill_percent) AS fill_max
    FROM container_readings
    WHERE fill_percent IS NOT NULL
    GROUP BY bucket, container_id
WITH NO DATA;
SELECT add_continuous_aggregate_policy('container_fill_hourly',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '30 minutes');

CREATE MATERIALIZED VIEW container_fill_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 day', time) AS bucket, container_id,
           count(fill_percent) AS readings, avg(fill_percent)::real AS fill_avg,
           min(fill_percent) AS fill_min, max(fill_percent) AS fill_max
    FROM container_readings
    WHERE fill_percent IS NOT NULL
    GROUP BY bucket, container_id
WITH NO DATA;
SELECT add_continuous_aggregate_policy('container_fill_daily',
    start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour');

CREATE MATERIALIZED VIEW vitals_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 day', time) AS bucket, patient_id, kind,
           count(*) AS readings, avg(value) AS value_avg, min(value) AS value_min,
           max(value) AS value_max
    FROM vital_observations
    GROUP BY bucket, patient_id, kind
WITH NO DATA;
SELECT add_continuous_aggregate_policy('vitals_daily',
    start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour');

-- Counts arrive per local day (the `day` column); `time` is that day's local midnight, a UTC
-- bucket that may start the evening before, so the view below regroups by `day`.
CREATE MATERIALIZED VIEW hygiene_compliance_daily_by_bucket
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 day', time) AS bucket, day, ward_id, zone_type, role,
           sum(opportunities)::bigint AS opportunities, sum(met)::bigint AS met
    FROM hygiene_compliance_counts
    GROUP BY bucket, day, ward_id, zone_type, role
WITH NO DATA;
SELECT add_continuous_aggregate_policy('hygiene_compliance_daily_by_bucket',
    start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour');

CREATE VIEW hygiene_compliance_daily AS
    SELECT day, ward_id, zone_type, role, sum(opportunities)::bigint AS opportunities,
           sum(met)::bigint AS met
    FROM hygiene_compliance_daily_by_bucket
    GROUP BY day, ward_id, zone_type, role;

ALTER TABLE container_readings SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'container_id', timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('container_readings', INTERVAL '14 days');
ALTER TABLE vital_observations SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'patient_id', timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('vital_observations', INTERVAL '14 days');
