-- Nothing to add on TimescaleDB: retention drops the continuous aggregate vitals_daily's own
-- chunks and deletes its older rows from the materialization hypertable (db/maintenance.py),
-- as a hypertable's retention does not reach an aggregate.
SELECT 1;
