"""What rules emit, and what the API returns for an alert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from tilsyn.platform.planning.night_status import NightTaskOut

Severity = Literal["info", "warning", "critical"]
Audience = Literal["operator", "home_care", "night_nurse", "infection_control"]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}

# Unacknowledged alerts escalate after this long (none for info).
ACK_WITHIN: dict[str, timedelta | None] = {
    "info": None,
    "warning": timedelta(hours=1),
    "critical": timedelta(minutes=15),
}


@dataclass(frozen=True, slots=True)
class Signal:
    """A rule's verdict on one entity: the condition holds (`active`) or has cleared."""

    entity_type: str
    entity_id: str
    rule: str
    active: bool
    at: datetime
    severity: Severity = "warning"
    audience: Audience = "operator"
    unit: str = ""
    title: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.entity_type, self.entity_id, self.rule)


class HistoryEntry(BaseModel):
    at: datetime
    event: str
    actor: str
    detail: dict[str, Any]


class Comment(BaseModel):
    """What staff wrote on an alert: how they hand it over between shifts."""

    at: datetime
    actor: str
    text: str


class Alert(BaseModel):
    alert_id: int
    entity_type: str
    entity_id: str
    rule: str
    severity: Severity
    state: Literal["open", "acknowledged", "resolved"]
    audience: Audience
    unit: str
    title: str
    detail: dict[str, Any]
    assignee: str | None
    occurrences: int
    first_at: datetime
    last_at: datetime
    ack_deadline: datetime | None
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    history: list[HistoryEntry] = []
    comments: list[Comment] = []  # oldest first
    # For a patient alert the night shift took on as a task: whether a nurse is coming.
    night_task: NightTaskOut | None = None
