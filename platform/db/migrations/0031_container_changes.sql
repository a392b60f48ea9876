-- Changes to registered containers, kept on record: a container is moved, swapped for another
-- size, recalibrated, changes its kind of waste, or gets a new sensor. One row per change:
-- who made it, when, and each field it changed, from what to what.
CREATE TABLE container_changes (
    change_id     bigserial PRIMARY KEY,
    container_id  text NOT NULL REFERENCES containers (container_id) ON DELETE CASCADE,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    changed_by    text NOT NULL,
    -- [{"field": "latitude", "old": 56.1, "new": 56.12}, ...]: only the fields that changed.
    changes       jsonb NOT NULL CHECK (jsonb_typeof(changes) = 'array' AND changes <> '[]')
);

CREATE INDEX container_changes_by_container ON container_changes (container_id, changed_at DESC);
