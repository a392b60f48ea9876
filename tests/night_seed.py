"""Night shifts for tests and the screens: a shift running now, its nurses, its tasks, and
patients with a home to visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from tilsyn.platform.planning.night_store import NewTask, ShiftNurse, add_task, create_shift

HERNING = (56.1393, 8.9738)


def nurse(username: str, competence: str = "registered_nurse") -> ShiftNurse:
    return ShiftNurse(username, competence, "Herning base", *HERNING)


def task(
    task_id: str,
    name: str,
    minutes: int,
    reason: str,
    where: tuple[float, float],
    *,
    window: int = 45,
    service: int = 15,
    competence: str = "registered_nurse",
    patient_id: str | None = None,
) -> NewTask:
    """A scheduled task whose window opens `minutes` from now."""
    opens = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=minutes)
    return NewTask(
        task_id=task_id,
        location_name=name,
        address=f"{name}vej 2, 7400 Herning",
        latitude=where[0],
        longitude=where[1],
        window_start=opens,
        window_end=opens + timedelta(minutes=window),
        service_s=service * 60,
        reason=reason,
        source="schedule",
        competence=competence,
        patient_id=patient_id,
    )


def seed_shift(
    conn: psycopg.Connection,
    nurses: list[ShiftNurse],
    tasks: list[NewTask],
    *,
    started_minutes_ago: int = 60,
    hours: int = 9,
) -> int:
    starts = datetime.now(UTC) - timedelta(minutes=started_minutes_ago)
    shift_id = create_shift(conn, "Herning night", starts, starts + timedelta(hours=hours), nurses)
    for new in tasks:
        add_task(conn, shift_id, new)
    return shift_id


def give_home(
    conn: psycopg.Connection, patient_id: str, address: str, where: tuple[float, float]
) -> None:
    conn.execute(
        "UPDATE patients SET address = %s, latitude = %s, longitude = %s WHERE patient_id = %s",
        (address, where[0], where[1], patient_id),
    )
