-- Time series on plain PostgreSQL: native range partitions by month. A default partition
-- catches rows outside the partitions made so far, so no row is refused for its timestamp.

CREATE TABLE time_series (
    table_name  text PRIMARY KEY,
    -- Retention differs by kind of data: 'city' (containers), 'health' (patients),
    -- 'hygiene' (anonymous ward data).
    data_class  text NOT NULL CHECK (data_class IN ('city', 'health', 'hygiene'))
);

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

CREATE FUNCTION tilsyn_create_time_series(name text, columns text, data_class text,
                                          chunk interval) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- `chunk` is TimescaleDB's chunk length; native partitions are always a month.
    EXECUTE format('CREATE TABLE %I (%s) PARTITION BY RANGE (time)', name, columns);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', name || '_default', name);
    PERFORM tilsyn_ensure_month_partition(name::regclass, (now() + make_interval(months => m))::date)
    FROM generate_series(-1, 2) AS m;
    INSERT INTO time_series (table_name, data_class) VALUES (name, data_class);
END;
$$;
