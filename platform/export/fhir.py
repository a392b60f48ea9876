"""Stored vital signs as FHIR R4 vital-signs Observations, and search results as a Bundle.

Ingest stores one row per measured value; a blood-pressure panel arrives as one Observation and
is stored as two rows (`systolic_bp`, `diastolic_bp`) sharing the observation id and time. Here
each measurement becomes one Observation again, built by the codec's `build_observation` so the
API and the hubs speak exactly the same shape. A hub's correction keeps its status (`corrected`
or `amended`, as FHIR asks of a changed result); every other row is `final`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tilsyn.codecs.fhir import build_observation
from tilsyn.codecs.fhir_schema import FHIR_ID

log = logging.getLogger(__name__)

BLOOD_PRESSURE_ROWS = {"systolic_bp": 0, "diastolic_bp": 1}  # component position in the panel
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class VitalRow:
    """One row of `vital_observations`, the columns an Observation needs."""

    time: datetime
    patient_id: str
    kind: str
    value: float
    unit: str
    observation_id: str | None
    device_id: str | None
    status: str = "final"  # or the status of the correction that stored the row


def panel_kind(stored_kind: str) -> str:
    """The codec's kind a stored row belongs to: both blood-pressure rows are one panel."""
    return "blood_pressure" if stored_kind in BLOOD_PRESSURE_ROWS else stored_kind


def resource_id(row: VitalRow) -> str:
    """The Observation's id: stable across requests, unique across patients, and readable back.

    `vs-<time>-<digest>`: the measurement time in hex microseconds since 1970, so a read by id
    finds the rows by time (`read_vital`), and a digest of what tells measurements at that time
    apart. Hubs choose their own observation ids, so two hubs may both send "obs-1": the digest
    covers the patient and the hub's id, or, for readings sent without one (compact series),
    the patient, kind and device.
    """
    micros = micros_since_epoch(row.time)
    parts: tuple[str, ...]
    if row.observation_id is not None:
        parts = ("id", row.patient_id, panel_kind(row.kind), row.observation_id)
    else:
        parts = ("at", row.patient_id, panel_kind(row.kind), row.device_id or "")
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"vs-{micros:x}-{digest[:24]}"


def micros_since_epoch(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def observations_from_rows(rows: Iterable[VitalRow]) -> list[dict[str, Any]]:
    """One Observation per measurement, in the order of each measurement's first row.

    Rows that repeat a measurement (the same reading delivered twice) give one Observation. A
    blood-pressure panel missing one of its two rows cannot be a valid panel and is left out
    with a warning rather than sent half-empty.
    """
    groups: dict[str, list[VitalRow]] = {}
    for row in rows:
        groups.setdefault(resource_id(row), []).append(row)
    observations = []
    for observation_id, group in groups.items():
        observation = _observation(observation_id, group)
        if observation is not None:
            observations.append(observation)
    return observations


def _observation(observation_id: str, group: Sequence[VitalRow]) -> dict[str, Any] | None:
    first = group[0]
    kind = panel_kind(first.kind)
    value: float | tuple[float, float]
    if kind == "blood_pressure":
        parts = {row.kind: row.value for row in group}
        if len(parts) != len(BLOOD_PRESSURE_ROWS):
            log.warning("blood pressure %s lacks a component: %s", observation_id, sorted(parts))
            return None
        value = (parts["systolic_bp"], parts["diastolic_bp"])
    else:
        value = first.value
    device_is_id = first.device_id is not None and FHIR_ID.fullmatch(first.device_id) is not None
    doc = build_observation(
        first.patient_id,
        kind,
        value,
        first.time,
        observation_id=observation_id,
        device_id=first.device_id if device_is_id else None,
    )
    doc["status"] = first.status
    if first.device_id is not None and not device_is_id:
        # Not a FHIR id (a MAC address, say): a logical reference by identifier still names it.
        doc["device"] = {"identifier": {"value": first.device_id}}
    if first.observation_id is not None:
        doc["identifier"] = [{"value": first.observation_id}]  # the hub's own id, for tracing
    return doc


def searchset_bundle(
    resources: Sequence[dict[str, Any]],
    base_url: str,
    self_link: str,
    *,
    total: int | None = None,
    next_link: str | None = None,
) -> dict[str, Any]:
    """A FHIR searchset Bundle of `resources` (each with `resourceType` and `id`).

    `total` is the number of matches overall; it defaults to the resources given, which is
    right when the page holds every match.
    """
    links = [{"relation": "self", "url": self_link}]
    if next_link is not None:
        links.append({"relation": "next", "url": next_link})
    base = base_url.rstrip("/")
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources) if total is None else total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
