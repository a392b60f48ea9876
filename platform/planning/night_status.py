"""How the night shift is getting on with something it took on (a visit request, a patient
alert): whether a nurse is coming and when, or why none is. Read with the visit or the alert,
from its night task, for those who may already see that visit or alert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
