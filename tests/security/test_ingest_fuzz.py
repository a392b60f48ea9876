"""Fuzzing of ingest's classification, the step between the broker and the database: whatever
arrives on whatever topic, it becomes rows, quarantine or a dead letter with a reason, and never
an exception (one would stop the writer thread, and with it all storage).

The decoders have their own properties (tests/codecs/test_properties.py); here the envelopes and
the routing around them are fuzzed, with one registered device of every family behind them.
"""

from __future__ import annotations

import base64
import json
import time

import psycopg
import pytest
from direct_ingest import classifier_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lorawan import chirpstack_uplink

from tilsyn.mqtt import Message
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.outcomes import Accepted, Rejection
from tilsyn.platform.registry.models import (
    BadgeIn,
    DispenserIn,
    HubIn,
    PatientIn,
    WardIn,
    ZoneIn,
)
from tilsyn.platform.registry.store import (
    register_badge,
    register_dispenser,
    register_hub,
    register_patient,
    register_ward,
)

pytestmark = pytest.mark.integration

CONTAINER, DISPENSER, BADGE = "24e1247100ab0001", "70b3d57ed0ab0002", "70b3d57ed0ab0003"
DEVICES = [CONTAINER, DISPENSER, BADGE, "0000000000000000"]
TOPICS = [
    "application/a/device/{eui}/event/up",
    "application/a/device/{eui}/event/join",
    "v3/app@ttn/devices/{eui}/up",
    "tilsyn/edge/hub-f/up",
    "tilsyn/edge/hub-f/health",
    "tilsyn/edge/{eui}/up",
    "somewhere/else",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture
def classifier(database_url: str) -> Classifier:
    with psycopg.connect(database_url) as conn:
        register_container(
            conn,
            ContainerIn(
                container_id="F1",
                dev_eui=CONTAINER,
                waste_kind="paper",
                capacity_litres=660,
                empty_distance_mm=2000,
                full_distance_mm=300,
                latitude=56.1,
                longitude=8.9,
            ),
        )
        zone = ZoneIn(zone_id=1, room_id="101", zone_type="patient_zone")
        register_ward(conn, WardIn(ward_id="F", name="Fuzz ward", zones=[zone]))
        register_dispenser(
            conn,
            DispenserIn(dev_eui=DISPENSER, ward_id="F", dispenser_id=1, zone_id=1, room_id="101"),
        )
        register_badge(conn, BadgeIn(dev_eui=BADGE, ward_id="F", role="nurse"))
        register_patient(conn, PatientIn(patient_id="P-F", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-f", unit="Våler", patient_ids=["P-F"]))
    return classifier_for(database_url)


def _classified(classifier: Classifier, topic: str, payload: bytes) -> Accepted | Rejection:
    outcome = classifier.classify(Message(topic, payload, 1, 0, time.time()))
    if isinstance(outcome, Rejection):
        assert outcome.reason, "a rejection without its reason"
    return outcome


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_any_bytes_on_any_topic(classifier: Classifier) -> None:
    @FUZZ
    @given(st.sampled_from(TOPICS), st.sampled_from(DEVICES), st.binary(max_size=300))
    def check(topic: str, eui: str, payload: bytes) -> None:
        _classified(classifier, topic.format(eui=eui), payload)

    check()


def test_any_json_on_any_topic(classifier: Classifier) -> None:
    @FUZZ
    @given(st.sampled_from(TOPICS), st.sampled_from(DEVICES), JSON)
    def check(topic: str, eui: str, document: object) -> None:
        _classified(classifier, topic.format(eui=eui), json.dumps(document).encode())

    check()


def test_well_formed_envelopes_around_any_device_payload(classifier: Classifier) -> None:
    """The envelope is right and names a registered device; fPort, fCnt and bytes are anything."""

    @FUZZ
    @given(
        st.sampled_from(DEVICES[:3]),
        st.binary(max_size=64),
        st.integers(0, 255),
        st.integers(0, 2**32),
    )
    def check(eui: str, data: bytes, f_port: int, f_cnt: int) -> None:
        topic, body = chirpstack_uplink(eui, data.hex(), f_port=f_port, f_cnt=f_cnt)
        _classified(classifier, topic, body)

    check()


def test_hub_messages_with_any_entries(classifier: Classifier) -> None:
    @FUZZ
    @given(st.lists(JSON, max_size=3), st.lists(JSON, max_size=2))
    def check(entries: list[object], series: list[object]) -> None:
        body = {
            "messageId": "m-1",
            "hubId": "hub-f",
            "sentAt": "2026-11-23T05:00:00Z",
            "entries": entries,
            "series": series,
        }
        _classified(classifier, "tilsyn/edge/hub-f/up", json.dumps(body).encode())

    check()


def test_base64_that_is_not(classifier: Classifier) -> None:
    topic, body = chirpstack_uplink(CONTAINER, "0175640382d007")
    event = json.loads(body)
    for data in ("!!", "AAA", base64.b64encode(b"\x00" * 300).decode(), "\u00e6\u00f8"):
        event["data"] = data
        _classified(classifier, topic, json.dumps(event).encode())
