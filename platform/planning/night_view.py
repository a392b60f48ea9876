"""What a night nurse's phone shows: her route in order (what she has started, finished, or
had cancelled first), then any task no route could take, with the planner's reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tilsyn.platform.planning.night_store import NightTask, Shift


def nurse_view(
    shift: Shift, tasks: list[NightTask], nurse: str, version: int | None
) -> dict[str, Any]:
    mine = [t for t in tasks if t.nurse == nurse]
    behind = sorted((t for t in mine if not _ahead(t)), key=_started)
    ahead = sorted((t for t in mine if _ahead(t)), key=lambda t: t.route_order or 0)
    # A cancelled task nobody had on her route concerns nobody: it is dropped.
    unplanned = sorted(
        (t for t in tasks if t.nurse is None and not _cancelled(t)), key=lambda t: t.window_start
    )
    ordered = behind + ahead + unplanned
    return {
        "nurse": nurse,
        "shift_id": shift.shift_id,
        "shift_name": shift.name,
        "shift_starts": shift.starts_at.isoformat(),
        "shift_ends": shift.ends_at.isoformat(),
        "version": version,
        "revision": shift.revision,
        "generated_at": datetime.now(UTC).isoformat(),
        "tasks": [task_card(t, position) for position, t in enumerate(ordered, start=1)],
        "unplanned": len(unplanned),
    }


def patients_shown(view: dict[str, Any]) -> list[str]:
    """Patients whose data the view holds: each one is a read to audit."""
    return sorted({t["patient_id"] for t in view["tasks"] if t["patient_id"]})


def task_card(task: NightTask, position: int | None = None) -> dict[str, Any]:
    """One task as the phone shows it; `position` is its place in the nurse's list."""
    reason = task.reason
    if _cancelled(task):
        reason = f"{task.reason}. Cancelled: {task.cancel_reason}"
    elif task.nurse is None and task.unplanned_reason:
        reason = f"{task.reason}. Not on any route: {task.unplanned_reason}"
    return {
        "task_id": task.task_id,
        "position": position,
        "location_name": task.location_name,
        "address": task.address,
        "lat": task.latitude,
        "lon": task.longitude,
        "window_start": task.window_start.isoformat(),
        "window_end": task.window_end.isoformat(),
        "eta": task.eta.isoformat() if task.eta and _ahead(task) else None,
        "reason": reason,
        "urgent": task.urgent,
        "state": task.state,
        "priority": task.priority,
        "source": task.source,
        "patient_id": task.patient_id,
        "planned": task.nurse is not None and not _cancelled(task),
        "unplanned_reason": task.unplanned_reason if task.nurse is None else None,
    }


def _ahead(task: NightTask) -> bool:
    """Not begun, finished or cancelled: still to do."""
    return task.state in ("planned", "acknowledged")


def _cancelled(task: NightTask) -> bool:
    return task.state == "cancelled"


def _started(task: NightTask) -> datetime:
    return task.started_at or task.done_at or task.window_start
