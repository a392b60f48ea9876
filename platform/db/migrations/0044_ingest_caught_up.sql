-- What a worker's catch-up session stored after the broker came back (ingest/catch_up.py):
-- uplinks its share group may have missed, the copies it also got included.
ALTER TABLE ingest_workers ADD COLUMN caught_up bigint NOT NULL DEFAULT 0;
