-- Observations keep their FHIR status, and an original that comes after its correction is not
-- stored beside it (PostgreSQL).
--
-- `status` is 'final' unless a correction stored the row: ingest copies originals without it,
-- so the hot COPY path is unchanged, and a constant default adds the column without rewriting
-- the table. Corrections carry their status ('corrected' or 'amended') through
-- vital_observation_corrections; the default there is for a worker still writing without it.
--
-- Refusing a late original is decided by ingest, once per batch and before the copy, against
-- the stored corrections (platform/ingest/superseded.py): a row trigger on vital_observations
-- would cost every copied reading, and the deferred correction trigger runs only for
-- corrections, never for the original that comes after. The partial index holds only
-- corrected rows, so that lookup stays small however long the history grows.

ALTER TABLE vital_observations ADD COLUMN status text NOT NULL DEFAULT 'final';
ALTER TABLE vital_observation_corrections
    ADD COLUMN status text NOT NULL DEFAULT 'corrected'
    CHECK (status IN ('corrected', 'amended'));

CREATE INDEX vital_observations_corrected
    ON vital_observations (patient_id, kind, observation_id, time)
    WHERE status <> 'final';

-- As in 0017, and the correction's row keeps the correction's status.
CREATE OR REPLACE FUNCTION tilsyn_apply_vital_correction() RETURNS trigger LANGUAGE plpgsql AS $$
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
                                    device_id, hub_id, status)
    VALUES (NEW.time, NEW.patient_id, NEW.kind, NEW.value, NEW.unit, NEW.observation_id,
            NEW.device_id, NEW.hub_id, NEW.status);
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
