"""Registry entries the tests share."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from tilsyn.platform.clinical.answers import QuestionColours, QuestionnaireColours
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.registry.models import DispenserIn, WardIn, ZoneIn
from tilsyn.platform.registry.store import register_dispenser, register_ward

# A 2,500-litre glass bank with an EM310-UDL mounted 3 m above the floor, full at 0.5 m.
USUAL: dict[str, Any] = {
    "waste_kind": "glass",
    "capacity_litres": 2500,
    "empty_distance_mm": 3000,
    "full_distance_mm": 500,
    "latitude": 56.1,
    "longitude": 8.9,
}


def sample_container(container_id: str, dev_eui: str, **changes: Any) -> ContainerIn:
    """A container for a test; `changes` override any of the usual fields."""
    return ContainerIn(container_id=container_id, dev_eui=dev_eui, **(USUAL | changes))


def register_medical_3(conn: psycopg.Connection, dispenser_eui: str) -> None:
    """Ward M3 with one patient zone (11, room 301) and its bedside dispenser 7."""
    zone = ZoneIn(zone_id=11, room_id="301", zone_type="patient_zone")
    register_ward(conn, WardIn(ward_id="M3", name="Medical 3", zones=[zone]))
    register_dispenser(
        conn,
        DispenserIn(dev_eui=dispenser_eui, ward_id="M3", dispenser_id=7, zone_id=11, room_id="301"),
    )


def hub_message(
    hub_id: str, message_id: str, sent_at: datetime, *entries: dict[str, Any]
) -> tuple[str, bytes]:
    """(topic, payload) of an edge agent's message carrying `entries` (FHIR resources)."""
    body = {
        "messageId": message_id,
        "hubId": hub_id,
        "sentAt": sent_at.isoformat(),
        "entries": list(entries),
    }
    return f"tilsyn/edge/{hub_id}/up", json.dumps(body).encode()


# A COPD questionnaire's colours as a care team might set them.
COPD_COLOURS = QuestionnaireColours(
    questionnaire="copd-daily",
    questions=[
        QuestionColours(
            link_id="breathlessness", green=["same"], yellow=["worse"], red=["much_worse"]
        ),
        QuestionColours(link_id="feeling_unwell", green=[False], yellow=[True]),
    ],
)
