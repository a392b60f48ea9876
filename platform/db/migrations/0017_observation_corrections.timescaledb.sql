-- A corrected or amended Observation replaces the stored one with the same id (TimescaleDB).
-- Ingest writes with COPY, which cannot upsert. It stores a correction's rows in
-- vital_observations like any other (the alert rules are handed what goes there) and copies
-- them here too; at commit, whatever order the batch's tables were copied in, each row here
-- deletes the patient's rows of that kind and observation id and stores itself instead. The match
-- reaches a day either side: a hub's clock correction can move the same reading by a little
-- between two messages, and a bounded range keeps the delete within a chunk or two instead of
-- decompressing the patient's whole history. Continuous aggregates see the delete by
-- themselves.

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
BEGIN
    DELETE FROM vital_observations
    WHERE patient_id = NEW.patient_id AND kind = NEW.kind
      AND observation_id = NEW.observation_id
      AND time BETWEEN NEW.time - INTERVAL '24 hours' AND NEW.time + INTERVAL '24 hours';
    INSERT INTO vital_observations (time, patient_id, kind, value, unit, observation_id,
                                    device_id, hub_id)
    VALUES (NEW.time, NEW.patient_id, NEW.kind, NEW.value, NEW.unit, NEW.observation_id,
            NEW.device_id, NEW.hub_id);
    DELETE FROM vital_observation_corrections WHERE id = NEW.id;  -- applied: nothing to keep
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER vital_observation_corrections_apply
    AFTER INSERT ON vital_observation_corrections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION tilsyn_apply_vital_correction();
