-- Compliance alerts are per ward and day now (entity `ward_day`); the rule no longer raises
-- nor clears the per-ward ones, so any still open would escalate for good.
WITH orphaned AS (
    UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'migration'
    WHERE entity_type = 'ward' AND rule = 'compliance_below_target' AND state <> 'resolved'
    RETURNING alert_id
)
INSERT INTO alert_history (alert_id, event, actor, detail)
SELECT alert_id, 'resolved', 'migration',
       '{"note": "compliance alerts are per ward and day now; see each day on the hygiene screen"}'
FROM orphaned;
