-- Every process of the platform keeps live views (alert streams, the fill map) and a cache of
-- the device registry. A change committed by another process (another ingest worker of a
-- share group, a command-line registration) reaches them as a notice on one of these channels
-- (NOTIFY is sent at commit, never for a transaction rolled back; db/listener.py listens):
--   tilsyn_alert_outbox       an alert notification's outbox id
--   tilsyn_container_changes  a container whose fill or registration changed
--   tilsyn_device_changes     a device whose registration changed (ingest looks it up again)
-- PostgreSQL sends a repeated payload once per transaction, so a batch of readings of one
-- container costs one notice.

CREATE FUNCTION notify_alert_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tilsyn_alert_outbox', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER alert_outbox_notice AFTER INSERT ON notification_outbox
    FOR EACH ROW EXECUTE FUNCTION notify_alert_outbox();

CREATE FUNCTION notify_container_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tilsyn_container_changes', NEW.container_id);
    RETURN NULL;
END $$;

CREATE TRIGGER container_fill_notice AFTER INSERT OR UPDATE ON container_latest
    FOR EACH ROW EXECUTE FUNCTION notify_container_change();
CREATE TRIGGER container_registration_notice AFTER INSERT OR UPDATE ON containers
    FOR EACH ROW EXECUTE FUNCTION notify_container_change();

-- The argument names the column that holds the device id; a change may move a registration
-- from one device to another, so both the old and the new one are named.
CREATE FUNCTION notify_device_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    column_name text := TG_ARGV[0];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('tilsyn_device_changes', to_jsonb(OLD) ->> column_name);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('tilsyn_device_changes', to_jsonb(NEW) ->> column_name);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER device_notice AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION notify_device_change('device_id');
CREATE TRIGGER container_device_notice AFTER INSERT OR UPDATE OR DELETE ON containers
    FOR EACH ROW EXECUTE FUNCTION notify_device_change('dev_eui');
CREATE TRIGGER dispenser_device_notice AFTER INSERT OR UPDATE OR DELETE ON dispensers
    FOR EACH ROW EXECUTE FUNCTION notify_device_change('dev_eui');
CREATE TRIGGER badge_device_notice AFTER INSERT OR UPDATE OR DELETE ON badges
    FOR EACH ROW EXECUTE FUNCTION notify_device_change('dev_eui');
CREATE TRIGGER hub_patients_device_notice AFTER INSERT OR UPDATE OR DELETE ON hub_patients
    FOR EACH ROW EXECUTE FUNCTION notify_device_change('hub_id');
