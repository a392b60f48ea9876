"""The tables ingest writes with binary COPY: their columns and PostgreSQL types, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]  # binary COPY needs the exact type of every column

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.types):
            raise ValueError(f"{self.name}: columns and types differ in length")


Row = tuple[Any, ...]

CONTAINER_READINGS = Table(
    "container_readings",
    (
        "time",
        "container_id",
        "dev_eui",
        "distance_mm",
        "fill_percent",
        "battery_percent",
        "tilt",
        "temperature_c",
        "fcnt",
    ),
    ("timestamptz", "text", "text", "int4", "float4", "int2", "bool", "float4", "int8"),
)

DISPENSER_STATUS = Table(
    "dispenser_status",
    (
        "time",
        "dev_eui",
        "ward_id",
        "dispenser_id",
        "use_count",
        "refill_percent",
        "battery_percent",
    ),
    ("timestamptz", "text", "text", "int4", "int8", "int2", "int2"),
)

DISPENSER_USES = Table(
    "dispenser_uses", ("time", "ward_id", "dispenser_id"), ("timestamptz", "text", "int4")
)

HYGIENE_COMPLIANCE_COUNTS = Table(
    "hygiene_compliance_counts",
    ("time", "ward_id", "zone_type", "day", "role", "opportunities", "met"),
    ("timestamptz", "text", "text", "date", "text", "int4", "int4"),
)

HYGIENE_DROPPED_COUNTS = Table(
    "hygiene_dropped_counts",
    ("time", "ward_id", "day", "reason", "zone_type", "events"),
    ("timestamptz", "text", "date", "text", "text", "int4"),
)

# A badge's message for the hand-hygiene matcher (hygiene_matcher.py): its events, re-timed.
HYGIENE_INBOX = Table("hygiene_inbox", ("dev_eui", "ward_id", "message"), ("text", "text", "jsonb"))

VITAL_OBSERVATIONS = Table(
    "vital_observations",
    ("time", "patient_id", "kind", "value", "unit", "observation_id", "device_id", "hub_id"),
    ("timestamptz", "text", "text", "float8", "text", "text", "text", "text"),
)

# A corrected or amended Observation's rows, with that status: applied at commit (migrations
# 0017, 0029), so the order the batch's tables are copied in does not matter.
VITAL_CORRECTIONS = Table(
    "vital_observation_corrections",
    (*VITAL_OBSERVATIONS.columns, "status"),
    (*VITAL_OBSERVATIONS.types, "text"),
)

QUESTIONNAIRE_ANSWERS = Table(
    "questionnaire_answers",
    ("time", "patient_id", "questionnaire", "answers", "response_id", "hub_id"),
    ("timestamptz", "text", "text", "jsonb", "text", "text"),
)

HUB_HEALTH = Table(
    "hub_health",
    (
        "time",
        "hub_id",
        "queue_depth",
        "queue_bytes",
        "oldest_queued_at",
        "last_contact",
        "dropped_total",
        "dropped_by_reason",
        "devices",
        "awaiting_receipt",
        "resent_without_receipt",
        "clock_behind_s",
        "config_version",
    ),
    (
        "timestamptz",
        "text",
        "int4",
        "int8",
        "timestamptz",
        "timestamptz",
        "int8",
        "jsonb",
        "jsonb",
        "int4",
        "int8",
        "float8",
        "int8",
    ),
)

DEVICE_JOINS = Table("device_joins", ("time", "dev_eui"), ("timestamptz", "text"))
