-- Nothing to add on TimescaleDB: retention drops the chunks of the continuous aggregate
-- vitals_daily itself (db/maintenance.py), as a hypertable's retention does not reach it.
SELECT 1;
