"""Configuration pushed by the platform: each patient's measurement schedule (times of day, and
the weekdays of a kind not measured daily), thresholds and the local instructions of their plan.

Arrives retained on `tilsyn/edge/{hub_id}/config`, so a hub that was offline gets the latest on
reconnect. Only a newer version replaces the applied one (a retained message comes again on every
reconnect); a config that does not validate is refused whole, logged, and remembered for status.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from tilsyn.edge.db import Database
from tilsyn.edge.readings import ReadingKind
from tilsyn.edge.state import get, put
from tilsyn.platform.clinical.plan import Kind, Threshold

log = logging.getLogger(__name__)
CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    green_low: float | None = None
    green_high: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None


class Instructions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    red: str = ""
    yellow: str = ""


class PatientConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule: dict[ReadingKind, list[str]] = {}
    # ISO weekdays (1 = Monday) a kind's times are due on; a kind left out is due every day.
    weekdays: dict[ReadingKind, list[StrictInt]] = {}
    thresholds: dict[Kind, Threshold] = {}
    instructions: Instructions = Instructions()

    @field_validator("schedule")
    @classmethod
    def _clock_times(cls, schedule: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, times in schedule.items():
            for clock in times:
                if not CLOCK_TIME.match(clock):
                    raise ValueError(f"{kind}: {clock!r} is not a time of day HH:MM")
        return schedule

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, weekdays: dict[str, list[int]]) -> dict[str, list[int]]:
        for kind, days in weekdays.items():
            if not days:
                raise ValueError(f"{kind}: no weekday (leave the kind out for every day)")
            for day in days:
                if not 1 <= day <= 7:
                    raise ValueError(f"{kind}: weekday {day} is not 1 (Monday) to 7 (Sunday)")
            if len(set(days)) != len(days):
                raise ValueError(f"{kind}: the same weekday twice in {days}")
        return weekdays

    @model_validator(mode="after")
    def _weekdays_of_scheduled_kinds(self) -> Self:
        # Weekdays come with the times they apply to: alone they would silently do nothing
        # (the device's default times are daily), which hides a mistake on the platform.
        unscheduled = sorted(set(self.weekdays) - set(self.schedule))
        if unscheduled:
            kinds = ", ".join(unscheduled)
            raise ValueError(f"weekdays for {kinds} but no times for it in schedule")
        return self

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds(cls, raw: Any) -> Any:
        """The wire form has no `kind` inside each threshold: the key says it."""
        if not isinstance(raw, dict):
            return raw
        return {kind: _with_kind(kind, limits) for kind, limits in raw.items()}


def _with_kind(kind: str, limits: Any) -> Any:
    if not isinstance(limits, dict):
        return limits
    fields = Limits.model_validate({k: v for k, v in limits.items() if k != "kind"})
    return {"kind": kind, **fields.model_dump()}


class EdgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0)
    patients: dict[str, PatientConfig] = {}


def parse_config(body: bytes) -> EdgeConfig:
    """Raises ValueError (pydantic's ValidationError is one) for anything but a valid config."""
    return EdgeConfig.model_validate_json(body)


class ConfigStore:
    """The applied configuration, kept in the agent's database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.current: EdgeConfig | None = self._load()

    def _load(self) -> EdgeConfig | None:
        with self.db.reading() as conn:
            raw = get(conn, "config")
        return None if raw is None else EdgeConfig.model_validate(raw)

    def offer(self, body: bytes) -> bool:
        """Apply `body` if it is valid and newer than the applied config; True if applied."""
        if not body:
            # The platform deleted the retained config (the hub was taken out of the registry):
            # no refusal. The applied one stays, so a hub still in a home keeps prompting.
            log.warning(
                "the platform withdrew this hub's config; keeping version %s", self._version
            )
            return False
        try:
            config = parse_config(body)
        except (ValidationError, ValueError) as error:
            self._refuse(f"invalid config: {error}")
            return False
        if self.current is not None and config.version <= self.current.version:
            log.info("config version %d ignored: %d applied", config.version, self.current.version)
            return False
        with self.db.transaction() as conn:
            put(conn, "config", config.model_dump(mode="json"))
        self.current = config
        log.info("config version %d applied", config.version)
        return True

    def patient(self, patient_id: str) -> PatientConfig | None:
        config = self.current
        return None if config is None else config.patients.get(patient_id)

    @property
    def _version(self) -> int | None:
        return None if self.current is None else self.current.version

    @property
    def rejected(self) -> dict[str, Any] | None:
        with self.db.reading() as conn:
            value: dict[str, Any] | None = get(conn, "config_rejected")
        return value

    def summary(self) -> dict[str, Any]:
        """For the health report: the applied version and how many configs were refused."""
        rejected = self.rejected or {}
        return {
            "version": self._version,
            "refused": int(rejected.get("count", 0)),
            "lastRefusal": rejected.get("reason"),
        }

    def _refuse(self, reason: str) -> None:
        log.warning("%s", reason)
        with self.db.transaction() as conn:
            count = int((get(conn, "config_rejected") or {}).get("count", 0)) + 1
            put(conn, "config_rejected", {"count": count, "at": time.time(), "reason": reason})
