-- When each hub's current configuration version was first pushed: `pushed_at` moves with
-- every hourly republish of the same version, so a grace counted from it ("settings not
-- applied 10 minutes after the push") started again every hour.
ALTER TABLE hub_config_pushed ADD COLUMN version_pushed_at timestamptz;
UPDATE hub_config_pushed SET version_pushed_at = pushed_at;
ALTER TABLE hub_config_pushed ALTER COLUMN version_pushed_at SET NOT NULL;
