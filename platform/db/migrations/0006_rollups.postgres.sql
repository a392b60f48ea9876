-- Rollups on plain PostgreSQL: tables kept current by statement triggers over the rows each
-- insert adds (ingest only inserts rows it has not stored before, so sums stay exact), and
-- views with the same names and columns as TimescaleDB's continuous aggregates.

CREATE TABLE container_fill_hourly_rollup (
    bucket        timestamptz NOT NULL,
    container_id  text NOT NULL,
    readings      bigint NOT NULL,
    fill_sum      double precision NOT NULL,
    fill_min      real NOT NULL,
    fill_max      real NOT NULL,
    PRIMARY KEY (container_id, bucket)
);

CREATE TABLE vitals_daily_rollup (
    bucket      timestamptz NOT NULL,
    patient_id  text NOT NULL,
    kind        text NOT NULL,
    readings    bigint NOT NULL,
    value_sum   double precision NOT NULL,
    value_min   double precision NOT NULL,
    value_max   double precision NOT NULL,
    PRIMARY KEY (patient_id, kind, bucket)
);

CREATE TABLE hygiene_compliance_daily_rollup (
    day            date NOT NULL,
    ward_id        text NOT NULL,
    zone_type      text NOT NULL,
    role           text NOT NULL,
    opportunities  bigint NOT NULL,
    met            bigint NOT NULL,
    PRIMARY KEY (ward_id, zone_type, role, day)
);

CREATE FUNCTION tilsyn_roll_up_container_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO container_fill_hourly_rollup AS r
    SELECT date_trunc('hour', time), container_id, count(*), sum(fill_percent),
           min(fill_percent), max(fill_percent)
    FROM new_rows WHERE fill_percent IS NOT NULL
    GROUP BY 1, 2
    ON CONFLICT (container_id, bucket) DO UPDATE SET
        readings = r.readings + EXCLUDED.readings,
        fill_sum = r.fill_sum + EXCLUDED.fill_sum,
        fill_min = least(r.fill_min, EXCLUDED.fill_min),
        fill_max = greatest(r.fill_max, EXCLUDED.fill_max);
    RETURN NULL;
END;
$$;
CREATE TRIGGER container_readings_roll_up AFTER INSERT ON container_readings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION tilsyn_roll_up_container_fill();

CREATE FUNCTION tilsyn_roll_up_vitals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vitals_daily_rollup AS r
    SELECT date_trunc('day', time, 'UTC'), patient_id, kind, count(*), sum(value), min(value),
           max(value)
    FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (patient_id, kind, bucket) DO UPDATE SET
        readings = r.readings + EXCLUDED.readings,
        value_sum = r.value_sum + EXCLUDED.value_sum,
        value_min = least(r.value_min, EXCLUDED.value_min),
        value_max = greatest(r.value_max, EXCLUDED.value_max);
    RETURN NULL;
END;
$$;
CREATE TRIGGER vital_observations_roll_up AFTER INSERT ON vital_observations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION tilsyn_roll_up_vitals();

CREATE FUNCTION tilsyn_roll_up_compliance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hygiene_compliance_daily_rollup AS r
    SELECT day, ward_id, zone_type, role, sum(opportunities), sum(met)
    FROM new_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (ward_id, zone_type, role, day) DO UPDATE SET
        opportunities = r.opportunities + EXCLUDED.opportunities,
        met = r.met + EXCLUDED.met;
    RETURN NULL;
END;
$$;
CREATE TRIGGER hygiene_compliance_roll_up AFTER INSERT ON hygiene_compliance_counts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION tilsyn_roll_up_compliance();

CREATE VIEW container_fill_hourly AS
    SELECT bucket, container_id, readings, (fill_sum / readings)::real AS fill_avg, fill_min,
           fill_max
    FROM container_fill_hourly_rollup;

CREATE VIEW container_fill_daily AS
    SELECT date_trunc('day', bucket, 'UTC') AS bucket, container_id, sum(readings)::bigint AS readings,
           (sum(fill_sum) / sum(readings))::real AS fill_avg, min(fill_min) AS fill_min,
           max(fill_max) AS fill_max
    FROM container_fill_hourly_rollup GROUP BY 1, 2;

CREATE VIEW vitals_daily AS
    SELECT bucket, patient_id, kind, readings, value_sum / readings AS value_avg, value_min,
           value_max
    FROM vitals_daily_rollup;

CREATE VIEW hygiene_compliance_daily AS
    SELECT day, ward_id, zone_type, role, opportunities, met
    FROM hygiene_compliance_daily_rollup;
