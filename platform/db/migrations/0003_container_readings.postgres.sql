-- Plain PostgreSQL: native range partitions by month; a default partition catches any reading
-- outside the partitions made so far, so nothing is ever rejected for its timestamp.
CREATE TABLE container_readings (
    time             timestamptz NOT NULL,
    container_id     text NOT NULL,
    dev_eui          text NOT NULL,
    distance_mm      integer,
    fill_percent     real,
    battery_percent  smallint,
    tilt             boolean,
    temperature_c    real,
    fcnt             bigint,
    received_at      timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (time);

CREATE TABLE container_readings_default PARTITION OF container_readings DEFAULT;
CREATE INDEX container_readings_by_container ON container_readings (container_id, time DESC);

-- Make the monthly partition that holds `day`, moving any rows the default partition holds for
-- that month into it first (attaching would fail otherwise).
CREATE FUNCTION tilsyn_ensure_month_partition(parent regclass, day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', day)::date;
    month_end   date := (date_trunc('month', day) + interval '1 month')::date;
    child       text := parent::text || '_' || to_char(month_start, 'YYYYMM');
    default_partition text := parent::text || '_default';
BEGIN
    IF to_regclass(child) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   child, parent);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE time >= %L AND time < %L RETURNING *)
                    INSERT INTO %I SELECT * FROM moved',
                   default_partition, month_start, month_end, child);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, child, month_start, month_end);
END;
$$;

SELECT tilsyn_ensure_month_partition('container_readings', (now() + make_interval(months => m))::date)
FROM generate_series(-1, 2) AS m;
