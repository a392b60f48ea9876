-- Observations keep their FHIR status, and an original that comes after its correction is not
-- stored beside it (TimescaleDB).
--
-- `status` is 'final' unless a correction stored the row: ingest copies originals without it,
-- so the hot COPY path is unchanged. TimescaleDB 2.6 and later add a NOT NULL column with a
-- constant default to a hypertable with compressed chunks without decompressing them.
-- Corrections carry their status ('corrected' or 'amended') through
-- vital_observation_corrections; the default there is for a worker still writing without it.
--
-- Refusing a late original is decided by ingest, once per batch and before the copy, against
-- the stored corrections (platform/ingest/superseded.py): a row trigger on vital_observations
-- would cost every copied reading, and the deferred correction trigger runs only for
-- corrections, never for the original that comes after. The partial index holds only
-- corrected rows of uncompressed chunks; compressed chunks are found by their patient segment.

ALTER TABLE vital_observations ADD COLUMN status text NOT NULL DEFAULT 'final';
ALTER TABLE vital_observation_corrections
    ADD COLUMN status text NOT NULL DEFAULT 'corrected'
    CHECK (status IN ('corrected', 'amended'));

CREATE INDEX vital_observations_corrected
    ON vital_observations (patient_id, kind, observation_id, time)
    WHERE status <> 'final';

-- As in 0017, and the correction's row keeps the correction's status.
CREATE OR REPLACE FUNCTION tilsyn_apply_vital_correction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vital_observations
    WHERE patient_id = NEW.patient_id AND kind = NEW.kind
      AND observation_id = NEW.observation_id
      AND time BETWEEN NEW.time - INTERVAL '24 hours' AND NEW.time + INTERVAL '24 hours';
    INSERT INTO vital_observations (time, patient_id, kind, value, unit, observation_id,
                                    device_id, hub_id, status)
    VALUES (NEW.time, NEW.patient_id, NEW.kind, NEW.value, NEW.unit, NEW.observation_id,
            NEW.device_id, NEW.hub_id, NEW.status);
    DELETE FROM vital_observation_corrections WHERE id = NEW.id;  -- applied: nothing to keep
    RETURN NULL;
END;
$$;
