-- When a patient is to measure what, by the plan (local clock times, every day).
CREATE TABLE patient_schedules (
    patient_id  text NOT NULL REFERENCES patients (patient_id),
    kind        text NOT NULL,
    times       text[] NOT NULL CHECK (cardinality(times) > 0),
    timezone    text NOT NULL DEFAULT 'Europe/Oslo',
    PRIMARY KEY (patient_id, kind)
);
