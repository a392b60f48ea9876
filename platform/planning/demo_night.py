"""Tonight's shift for the demo: the "nurse on wheels" set-up (DOMAIN.md §1) moved to
Herning, two registered nurses from one base covering four units of six locations, with the
night's nurse-only tasks spread over the shift."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from tilsyn.platform.planning.night_store import NewTask, ShiftNurse, add_task, create_shift

BASE = ("Herning home care base", 56.1393, 8.9738)
UNITS = {
    "Herning Midt": (56.1380, 8.9760),
    "Gullestrup": (56.1240, 8.9420),
    "Tjørring": (56.1560, 8.9450),
    "Hammerum": (56.1330, 9.0560),
}
LOCATIONS_PER_UNIT = 6
REASONS = ("Insulin", "Wound care", "Catheter", "Pain relief", "Medication", "Assessment")


def tonight(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """22:00 to 07:00 local: the shift running now, or else tonight's."""
    local = now.astimezone(ZoneInfo(zone))
    day = local.date() - timedelta(days=1) if local.hour < 7 else local.date()
    starts = datetime.combine(day, time(22), ZoneInfo(zone))
    return starts, starts + timedelta(hours=9)


def ensure_demo_night(
    conn: psycopg.Connection, nurses: tuple[str, str], now: datetime, zone: str, seed: int = 1
) -> int | None:
    """Create tonight's shift unless the first nurse already has one; returns its id."""
    starts, ends = tonight(now, zone)
    taken = conn.execute(
        "SELECT 1 FROM night_shifts s JOIN night_shift_nurses n USING (shift_id)"
        " WHERE n.username = %s AND s.starts_at = %s",
        (nurses[0], starts),
    ).fetchone()
    if taken:
        return None
    team = [ShiftNurse(n, "registered_nurse", *BASE) for n in nurses]
    shift_id = create_shift(conn, "Herning night team", starts, ends, team)
    rng = random.Random(seed)
    for number in range(18):
        unit, (lat, lon) = rng.choice(list(UNITS.items()))
        place = rng.randrange(LOCATIONS_PER_UNIT) + 1
        opens = starts + timedelta(minutes=rng.randrange(0, 8 * 60 - 60, 15))
        add_task(
            conn,
            shift_id,
            NewTask(
                task_id=f"demo-{shift_id}-{number + 1:02d}",
                location_name=f"{unit} {place}",
                address=f"{unit}, location {place}, 7400 Herning",
                latitude=lat + 0.0015 * ((place % 3) - 1),
                longitude=lon + 0.0025 * ((place // 3) - 1),
                window_start=opens,
                window_end=opens + timedelta(minutes=rng.choice((60, 120, 180))),
                service_s=rng.choice((10, 15, 20, 30)) * 60,
                reason=rng.choice(REASONS),
                source="schedule",
                priority=rng.choices(("low", "normal", "high"), (1, 6, 3))[0],
            ),
        )
    conn.commit()
    return shift_id
