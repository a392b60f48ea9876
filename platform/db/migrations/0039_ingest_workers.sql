-- Each ingest worker's figures since it started, written every few seconds by the worker
-- itself (ingest/workers.py): any process's API shows every worker of a share group, and a
-- worker that stopped or stalls shows by when it was last heard from.
CREATE TABLE ingest_workers (
    worker_id            text PRIMARY KEY,  -- its MQTT client id, one per worker
    host                 text NOT NULL,
    pid                  integer NOT NULL,
    started_at           timestamptz NOT NULL,
    seen_at              timestamptz NOT NULL DEFAULT now(),
    running              boolean NOT NULL,
    queue_depth          integer NOT NULL,
    received             bigint NOT NULL,
    stored               bigint NOT NULL,
    duplicates           bigint NOT NULL,
    quarantined          bigint NOT NULL,
    dead_letters         bigint NOT NULL,
    database_retries     bigint NOT NULL,
    clock_corrections    bigint NOT NULL,
    superseded           bigint NOT NULL,
    last_database_error  text,
    hygiene_matching     boolean NOT NULL
);
