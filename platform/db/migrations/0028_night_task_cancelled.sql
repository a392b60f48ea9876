-- A night task whose reason went away before a nurse started it (its alert was resolved) is
-- cancelled: off the routes, kept for the record with when and why.
ALTER TABLE night_tasks
    DROP CONSTRAINT night_tasks_state_check,
    ADD CONSTRAINT night_tasks_state_check
        CHECK (state IN ('planned', 'acknowledged', 'started', 'done', 'cancelled')),
    ADD COLUMN cancelled_at  timestamptz,
    ADD COLUMN cancel_reason text;
