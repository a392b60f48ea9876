-- A corrected or amended Observation replaces the stored one with the same id (PostgreSQL).
-- Ingest writes with COPY, which cannot upsert. It stores a correction's rows in
-- vital_observations like any other (the alert rules are handed what goes there) and copies
-- them here too; at commit, whatever order the batch's tables were copied in, each row here
-- deletes the patient's rows of that kind and observation id and stores itself instead. The match
-- reaches a day either side: a hub's clock correction can move the same reading by a little
-- between two messages, and a bounded range keeps the delete within a partition or two. The
-- daily rollup's trigger only adds rows, so the days touched are counted again from the rows.

CREATE TABLE vital_observation_corrections (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time            timestamptz NOT NULL,
    patient_id      text NOT NULL,
    kind            text NOT NULL,
    value           double precision NOT NULL,
    unit            text NOT NULL,
    observation_id  text NOT NULL,
    device_id       text,
    hub_id          text NOT NULL
);

CREATE FUNCTION tilsyn_apply_vital_correction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days timestamptz[];
BEGIN
    WITH replaced AS (
        DELETE FROM vital_observations
        WHERE patient_id = NEW.patient_id AND kind = NEW.kind
          AND observation_id = NEW.observation_id
          AND time BETWEEN NEW.time - INTERVAL '24 hours' AND NEW.time + INTERVAL '24 hours'
        RETURNING time)
    SELECT array_agg(date_trunc('day', time, 'UTC')) INTO days FROM replaced;
    INSERT INTO vital_observations (time, patient_id, kind, value, unit, observation_id,
                                    device_id, hub_id)
    VALUES (NEW.time, NEW.patient_id, NEW.kind, NEW.value, NEW.unit, NEW.observation_id,
            NEW.device_id, NEW.hub_id);
    days := array_append(coalesce(days, '{}'), date_trunc('day', NEW.time, 'UTC'));
    DELETE FROM vitals_daily_rollup
    WHERE patient_id = NEW.patient_id AND kind = NEW.kind AND bucket = ANY(days);
    INSERT INTO vitals_daily_rollup (bucket, patient_id, kind, readings, value_sum, value_min,
                                     value_max)
    SELECT d.bucket, NEW.patient_id, NEW.kind, count(*), sum(v.value), min(v.value),
           max(v.value)
    FROM (SELECT DISTINCT unnest(days) AS bucket) d
    JOIN vital_observations v
      ON v.patient_id = NEW.patient_id AND v.kind = NEW.kind
     AND v.time >= d.bucket AND v.time < d.bucket + INTERVAL '24 hours'
    GROUP BY d.bucket;
    DELETE FROM vital_observation_corrections WHERE id = NEW.id;  -- applied: nothing to keep
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER vital_observation_corrections_apply
    AFTER INSERT ON vital_observation_corrections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION tilsyn_apply_vital_correction();
