"""How the night shift is getting on with something it took on (a visit request, a patient
alert): whether a nurse is coming and when, or why none is. Read with the visit or the alert,
from its night task, for those who may already see that visit or alert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tilsyn.platform.planning.night_store import PLANNING_FAILED, Assignment, NightTask


class NightTaskOut(BaseModel):
    """So whoever asked for a nurse, or watches the alert, knows whether one is coming.
    Neither the nurse nor her route: only what the asker needs to act on."""

    state: str
    planned: bool
    eta: datetime | None
    unplanned_reason: str | None = Field(description="why no nurse is planned, when none is")


# The night task's columns `night_task_out` reads, from `night_tasks` joined as `t` (NULL
# when there is none). Planned: on a nurse's route (or in her hands), not cancelled.
NIGHT_TASK_COLUMNS = """t.state AS task_state,
    coalesce(t.nurse IS NOT NULL AND t.state <> 'cancelled', false) AS task_planned,
    t.eta AS task_eta, t.unplanned_reason AS task_unplanned_reason"""


def night_task_out(row: Mapping[str, Any]) -> NightTaskOut | None:
    """The night task of a row read with NIGHT_TASK_COLUMNS, or None when it has none."""
    if row["task_state"] is None:
        return None
    return NightTaskOut(
        state=row["task_state"],
        planned=row["task_planned"],
        eta=row["task_eta"],
        unplanned_reason=row["task_unplanned_reason"],
    )


def night_visit_news(
    before: Sequence[NightTask], after: Sequence[Assignment]
) -> list[tuple[int, dict[str, Any]]]:
    """(alert id, what to tell) for each alert's task whose answer this plan changed: planned
    where it was not, or on no route, with the planner's reason, where it was planned or had
    no answer yet. A later ETA or a reworded reason is not news; a failed plan, retried, is
    not an answer."""
    tasks = {t.task_id: t for t in before if t.alert_id is not None and t.to_plan}
    news = []
    for placed in after:
        task = tasks.get(placed.task_id)
        if task is None or task.alert_id is None:
            continue
        planned = placed.nurse is not None
        if _answer(planned, placed.unplanned_reason) in (None, _answer_of(task)):
            continue
        eta = placed.eta.isoformat() if placed.eta else None
        why = None if planned else placed.unplanned_reason
        news.append((task.alert_id, {"planned": planned, "eta": eta, "unplanned_reason": why}))
    return news


def _answer_of(task: NightTask) -> str | None:
    return _answer(task.nurse is not None, task.unplanned_reason)


def _answer(planned: bool, reason: str | None) -> str | None:
    if planned:
        return "planned"
    return "unplanned" if reason and not reason.startswith(PLANNING_FAILED) else None
