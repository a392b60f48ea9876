-- The weekdays a scheduled measurement is due on (ISO: 1 = Monday), as "weight on Mondays and
-- Thursdays"; NULL: every day, as every schedule was before.
ALTER TABLE patient_schedules ADD COLUMN weekdays smallint[]
    CHECK (weekdays IS NULL OR (cardinality(weekdays) BETWEEN 1 AND 6
                                AND weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]));
