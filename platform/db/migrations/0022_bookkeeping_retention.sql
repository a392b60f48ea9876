-- Retention deletes ingest's bookkeeping by age, oldest first and in batches (db/maintenance.py).
-- quarantine and dead_letters have an index on received_at (0002); ingest_keys had none.
CREATE INDEX ingest_keys_seen_at ON ingest_keys (seen_at);
