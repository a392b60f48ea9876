-- A container taken off the street is retired, not deleted: its readings, changes on record
-- and alerts stay. `container_register` holds every container ever registered; the view
-- `containers` holds those in service, and is what the rest of the platform reads and
-- writes (a simple view: inserts and updates through it reach the register).
-- Retiring frees the sensor: its `devices` row goes, so its later uplinks are an unknown
-- device's (quarantine) and it may be fitted to another container. A container put back in
-- service (retired by mistake) gets a sensor again and its retirement fields are cleared;
-- both steps are among its changes.
ALTER TABLE containers RENAME TO container_register;

ALTER TABLE container_register
    ALTER COLUMN dev_eui DROP NOT NULL,
    ADD COLUMN retired_at timestamptz,
    ADD COLUMN retired_by text,
    ADD COLUMN retired_reason text,
    ADD COLUMN retired_dev_eui text,  -- the sensor it had: no longer a registered device
    ADD COLUMN retired_codec text,    -- and its codec, for putting the container back
    ADD CONSTRAINT container_in_service_has_sensor CHECK ((retired_at IS NULL) = (dev_eui IS NOT NULL)),
    ADD CONSTRAINT container_retired_by_someone CHECK ((retired_at IS NULL) = (retired_by IS NULL));

CREATE VIEW containers AS
    SELECT container_id, dev_eui, waste_kind, capacity_litres, empty_distance_mm,
           full_distance_mm, latitude, longitude, address, reporting_interval_s, registered_at,
           fill_high_percent, fill_low_percent
    FROM container_register
    WHERE retired_at IS NULL;
