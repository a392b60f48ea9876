"""A patient's own thresholds, as the care team sets them (the API) or as they come with a
patient enrolled from elsewhere (the demo's simulated patients)."""

from __future__ import annotations

import psycopg

from tilsyn.platform.clinical.plan import Threshold


def save_threshold(
    conn: psycopg.Connection, patient_id: str, threshold: Threshold, by: str, *, replace: bool
) -> bool:
    """Store the threshold; with `replace` False one already set stays. True if stored."""
    on_conflict = (
        "DO UPDATE SET green_low = EXCLUDED.green_low, green_high = EXCLUDED.green_high,"
        " yellow_low = EXCLUDED.yellow_low, yellow_high = EXCLUDED.yellow_high,"
        " updated_by = EXCLUDED.updated_by, updated_at = now()"
        if replace
        else "DO NOTHING"
    )
    stored = conn.execute(
        "INSERT INTO patient_thresholds (patient_id, kind, green_low, green_high, yellow_low,"
        " yellow_high, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        f" ON CONFLICT (patient_id, kind) {on_conflict}",
        (
            patient_id,
            threshold.kind,
            threshold.green_low,
            threshold.green_high,
            threshold.yellow_low,
            threshold.yellow_high,
            by,
        ),
    )
    return stored.rowcount == 1
