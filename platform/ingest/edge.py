"""Messages from home hubs, sent by the edge agent: FHIR resources in one envelope.

Each entry (one FHIR resource, or one series block) is stored whole or not at all. An entry
that cannot be stored is set aside with the message and the reason, in dead letters (or
quarantine, for a patient the hub does not serve), and the message's other entries are stored:
a faulty thermometer must not hold back the same patient's low SpO2. A message none of whose
entries can be stored is set aside whole.

An Observation with status `corrected` or `amended` replaces the stored one with the same id:
its rows go to `vital_observations` like any other (so the alert rules see them) and also, with
the status, to `vital_observation_corrections`, whose trigger, at commit, deletes the earlier
rows with that patient, id and kind (a day either side) and keeps the correction with its status
(migrations 0017, 0029), which the FHIR export writes back. An original (`final`) that comes
after its correction, say from a hub sending its queue again in another order, is not stored
beside it: the writer sets it aside in dead letters as superseded, counts it, and hands it to no
observer, so it raises no alert (superseded.py). The message's other entries are stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from tilsyn.codecs import DecodeError
from tilsyn.codecs.fhir import parse_observation, parse_questionnaire_response
from tilsyn.codecs.fhir_schema import CORRECTING_STATUSES
from tilsyn.codecs.vital_signs import KINDS
from tilsyn.platform.ingest.directory import HubDevice
from tilsyn.platform.ingest.hub_clock import HubClock
from tilsyn.platform.ingest.outcomes import Accepted, Original, Outcome, dead_letter, quarantine
from tilsyn.platform.ingest.tables import (
    HUB_HEALTH,
    QUESTIONNAIRE_ANSWERS,
    VITAL_CORRECTIONS,
    VITAL_OBSERVATIONS,
    Row,
    Table,
)

EDGE_UP = re.compile(r"^tilsyn/edge/([^/]+)/up$")
EDGE_HEALTH = re.compile(r"^tilsyn/edge/([^/]+)/health$")
# Ten years: a hub whose clock fell back to its factory date is still corrected.
MAX_BEHIND_S = 10 * 366 * 86_400
# Unix seconds of the year 9000: any later "time" is a wrong value, not a time to store.
LATEST_UNIX_S = 221_845_392_000
# Blood pressure comes as panels (FHIR entries), never as a single-valued series.
SERIES_KINDS = {kind.name: kind for kind in KINDS if kind.name != "blood_pressure"}


class Series(BaseModel):
    """Many readings of one kind for one patient, as (unix seconds, value) points: the compact
    form for devices that measure often (a pulse oximeter at 1 Hz) where one FHIR resource per
    reading would cost more than the reading."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    patient_id: str = Field(alias="patientId", min_length=1)
    kind: str
    unit: str
    device_id: str | None = Field(default=None, alias="deviceId")
    points: list[tuple[float, float]] = Field(min_length=1)


class EdgeEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: str = Field(alias="messageId", min_length=1, max_length=128)
    hub_id: str = Field(alias="hubId", min_length=1)
    sent_at: AwareDatetime = Field(alias="sentAt")
    # How far the hub found its own clock behind the platform's (edge/receipts.py).
    clock_behind_s: float = Field(default=0.0, alias="clockBehindS", ge=0, le=MAX_BEHIND_S)
    entries: list[dict[str, Any]] = []
    series: list[Series] = []


class _Unserved(ValueError):
    """An entry names a patient this hub is not registered for."""


@dataclass
class _Collected:
    """What a message's entries add, table by table."""

    vitals: list[Row] = field(default_factory=list)
    corrections: list[Row] = field(default_factory=list)
    originals: list[Original] = field(default_factory=list)
    answers: list[Row] = field(default_factory=list)


class Dropped(BaseModel):
    total: int = Field(ge=0)
    by_reason: dict[str, int] = Field(default={}, alias="byReason")


class AppliedConfig(BaseModel):
    """The configuration the agent has applied; its refusals stay on the hub (their reasons
    may quote a patient's settings)."""

    model_config = ConfigDict(extra="ignore")

    version: int | None = Field(default=None, ge=0, le=2**63 - 1)  # a bigint column


class HubHealth(BaseModel):
    """What the agent says about itself (docs/edge.md)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    hub_id: str = Field(alias="hubId", min_length=1)
    sent_at: AwareDatetime = Field(alias="sentAt")
    queue_depth: int = Field(alias="queueDepth", ge=0)
    queue_bytes: int = Field(default=0, alias="queueBytes", ge=0)
    oldest_queued_at: AwareDatetime | None = Field(default=None, alias="oldestQueuedAt")
    last_contact: AwareDatetime | None = Field(default=None, alias="lastContact")
    dropped: Dropped
    devices: list[dict[str, Any]] = []
    # Agents with receipts: messages sent but not yet receipted, and sends repeated without one.
    awaiting_receipt: int | None = Field(default=None, alias="awaitingReceipt", ge=0)
    resent_without_receipt: int | None = Field(default=None, alias="resentWithoutReceipt", ge=0)
    clock_behind_s: float | None = Field(default=None, alias="clockBehindS", ge=0, le=MAX_BEHIND_S)
    config: AppliedConfig | None = None


def health_rows(topic_hub_id: str, body: bytes) -> Accepted:
    health = HubHealth.model_validate_json(body)
    if health.hub_id != topic_hub_id:
        raise ValueError(f"topic names hub {topic_hub_id} but the body {health.hub_id}")
    row = (
        health.sent_at,
        health.hub_id,
        health.queue_depth,
        health.queue_bytes,
        health.oldest_queued_at,
        health.last_contact,
        health.dropped.total,
        Jsonb(health.dropped.by_reason),
        Jsonb(health.devices),
        health.awaiting_receipt,
        health.resent_without_receipt,
        health.clock_behind_s,
        None if health.config is None else health.config.version,
    )
    key = f"health:{health.hub_id}:{health.sent_at.isoformat()}"
    return Accepted(key, ((HUB_HEALTH, (row,)),))


def parse_envelope(topic_hub_id: str, body: bytes) -> EdgeEnvelope:
    envelope = EdgeEnvelope.model_validate_json(body)
    if envelope.hub_id != topic_hub_id:
        raise ValueError(f"topic names hub {topic_hub_id} but the body {envelope.hub_id}")
    return envelope


def hub_rows(
    topic: str, payload: bytes, envelope: EdgeEnvelope, hub: HubDevice, received_at: datetime
) -> Outcome:
    behind = timedelta(seconds=envelope.clock_behind_s)
    clock = HubClock.measured(envelope.sent_at, received_at, behind)
    collected = _Collected()
    problems: list[tuple[str, bool]] = []  # (what is wrong, whether a patient not served)
    for index, entry in enumerate(envelope.entries):
        try:
            _add_entry(index, entry, hub, clock, collected)
        except _Unserved as error:
            problems.append((f"entry {index}: {error}", True))
        except (DecodeError, ValueError) as error:
            problems.append((f"entry {index}: {error}", False))
    for index, block in enumerate(envelope.series):
        try:
            _check_served(block.patient_id, hub)
            collected.vitals.extend(_series_rows(block, hub.hub_id, clock))
        except _Unserved as error:
            problems.append((f"series {index}: {error}", True))
        except ValueError as error:
            problems.append((f"series {index}: {error}", False))
    if not collected.vitals and not collected.answers:
        if not problems:
            return dead_letter(topic, payload, "not an edge message: no entries and no series")
        why = "; ".join(problem for problem, _ in problems)
        if all(unserved for _, unserved in problems):
            return quarantine(topic, payload, hub.hub_id, why)
        return dead_letter(topic, payload, why)
    stored = "the message's other entries are stored"
    set_aside = tuple(
        quarantine(topic, payload, hub.hub_id, f"{problem} ({stored})")
        if unserved
        else dead_letter(topic, payload, f"{problem} ({stored})")
        for problem, unserved in problems
    )
    key = f"edge:{envelope.hub_id}:{envelope.message_id}"
    rows: tuple[tuple[Table, tuple[Row, ...]], ...] = (
        (VITAL_OBSERVATIONS, tuple(collected.vitals)),
        (QUESTIONNAIRE_ANSWERS, tuple(collected.answers)),
    )
    if collected.corrections:
        rows += ((VITAL_CORRECTIONS, tuple(collected.corrections)),)
    return Accepted(
        key,
        rows,
        # Kept only where the writer may set an entry aside after all.
        source=(topic, payload) if collected.originals else None,
        clock_corrections=clock.corrections,
        set_aside=set_aside,
        originals=tuple(collected.originals),
    )


def _add_entry(
    index: int, entry: dict[str, Any], hub: HubDevice, clock: HubClock, collected: _Collected
) -> None:
    kind = entry.get("resourceType")
    if kind == "Observation":
        observation = parse_observation(entry)
        _check_served(observation.patient_id, hub)
        effective = clock.correct(observation.effective)
        rows = [
            (
                effective,
                observation.patient_id,
                _stored_kind(observation.kind, component),
                value,
                observation.unit,
                observation.observation_id,
                observation.device_id,
                hub.hub_id,
            )
            for component, value in observation.values.items()
        ]
        collected.vitals.extend(rows)
        # Without an id a correction replaces nothing and nothing replaces an original: the
        # rows are stored as they are.
        if observation.observation_id is None:
            return
        status = entry.get("status")
        if status in CORRECTING_STATUSES:
            collected.corrections.extend((*row, status) for row in rows)
        else:
            collected.originals.append(Original(index, tuple(rows)))
    elif kind == "QuestionnaireResponse":
        response = parse_questionnaire_response(entry)
        _check_served(response.patient_id, hub)
        collected.answers.append(
            (
                clock.correct(response.authored),
                response.patient_id,
                response.questionnaire,
                Jsonb(response.answers),
                response.response_id,
                hub.hub_id,
            )
        )
    else:
        raise ValueError(f"unsupported resourceType {kind!r}")


def _series_rows(block: Series, hub_id: str, clock: HubClock) -> list[Row]:
    kind = SERIES_KINDS.get(block.kind)
    if kind is None:
        raise ValueError(f"unknown kind {block.kind!r}; known: {', '.join(SERIES_KINDS)}")
    if block.unit not in kind.units:
        raise ValueError(f"{block.kind} in {block.unit!r}; expected {kind.unit!r}")
    times = [at for at, _ in block.points]
    if not 0 <= min(times) <= max(times) <= LATEST_UNIX_S:
        raise ValueError(f"a point's time is not a time here: {min(times)}..{max(times)}")
    values = [value for _, value in block.points]
    kind.plausible(min(values), "value")
    kind.plausible(max(values), "value")
    return [
        (
            clock.correct(datetime.fromtimestamp(at, UTC)),
            block.patient_id,
            block.kind,
            value,
            kind.unit,
            None,
            block.device_id,
            hub_id,
        )
        for at, value in block.points
    ]


def _check_served(patient_id: str, hub: HubDevice) -> None:
    if patient_id not in hub.patient_ids:
        raise _Unserved(f"patient {patient_id} is not registered for hub {hub.hub_id}")


def _stored_kind(kind: str, component: str) -> str:
    """A blood-pressure panel is stored as two rows, `systolic_bp` and `diastolic_bp`."""
    return f"{component}_bp" if kind == "blood_pressure" else kind


def envelope_problem(error: ValidationError | ValueError) -> str:
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        return f"not an edge message: {where}: {problem['msg']}"
    return f"not an edge message: {error}"
