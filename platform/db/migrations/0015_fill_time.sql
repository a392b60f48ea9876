-- When the fill in container_latest was measured. `time` moves on with every reading, also
-- one that carries no fill (a battery or tilt report), so the planner took an old fill for a
-- new one and under-forecast the container.
ALTER TABLE container_latest ADD COLUMN fill_at timestamptz;
UPDATE container_latest SET fill_at = time WHERE fill_percent IS NOT NULL;
