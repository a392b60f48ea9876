-- Time series on TimescaleDB: hypertables (create_hypertable with by_range, TimescaleDB 2.13+).

CREATE TABLE time_series (
    table_name  text PRIMARY KEY,
    -- Retention differs by kind of data: 'city' (containers), 'health' (patients),
    -- 'hygiene' (anonymous ward data).
    data_class  text NOT NULL CHECK (data_class IN ('city', 'health', 'hygiene'))
);

CREATE FUNCTION tilsyn_create_time_series(name text, columns text, data_class text,
                                          chunk interval) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (%s)', name, columns);
    PERFORM create_hypertable(name::regclass, by_range('time', chunk));
    INSERT INTO time_series (table_name, data_class) VALUES (name, data_class);
END;
$$;
