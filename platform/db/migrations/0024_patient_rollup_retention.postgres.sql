-- Retention deletes patients' daily rollups with the readings they were made from, oldest
-- first (db/maintenance.py): by bucket, which the primary key does not lead with.
CREATE INDEX vitals_daily_rollup_by_bucket ON vitals_daily_rollup (bucket);
