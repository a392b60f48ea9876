-- An alert's history also says how the night shift answers it: its task planned for a nurse,
-- or on no route and why (`night_visit`, written by the night planner).
ALTER TABLE alert_history DROP CONSTRAINT alert_history_event_check;
ALTER TABLE alert_history ADD CONSTRAINT alert_history_event_check
    CHECK (event IN ('raised', 'recurred', 'acknowledged', 'resolved', 'escalated', 'commented',
                     'reopened', 'night_visit'));
