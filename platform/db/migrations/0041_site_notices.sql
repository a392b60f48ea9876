-- A ward's hygiene zones or dispensers changed: whichever process counts badge events reads the
-- wards again before its next round (ingest/hygiene_matcher.py), whichever process made the
-- change, instead of counting against the old rooms for up to a minute. One notice per
-- statement is enough: the wards are read whole.
CREATE FUNCTION notify_site_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tilsyn_site_changes', TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER hygiene_zone_site_notice
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hygiene_zones
    FOR EACH STATEMENT EXECUTE FUNCTION notify_site_change();
CREATE TRIGGER dispenser_site_notice
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dispensers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_site_change();
