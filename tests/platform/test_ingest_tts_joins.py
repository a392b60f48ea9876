"""The Things Stack v3 join-accepts start a new LoRaWAN session for replay detection, as
ChirpStack joins do: after a rejoin, low frame counters are new frames, not replays."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from direct_ingest import classifier_for, store
from registry_seed import sample_container

from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.directory import DeviceDirectory

pytestmark = pytest.mark.integration
DEV_EUI = "24e124713b0000bb"
VECTOR = "01755C03824408040001"
APP = "v3/waste-app@herning"


def _ids() -> dict[str, object]:
    return {
        "device_id": "em310-00bb",
        "application_ids": {"application_id": "waste-app"},
        "dev_eui": DEV_EUI.upper(),
        "join_eui": "800000000000000C",
        "dev_addr": "00BCB929",
    }


def _tts_uplink(f_cnt: int) -> tuple[str, bytes]:
    """As The Things Stack documents it (Data Formats: uplink messages), fields trimmed."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "end_device_ids": _ids(),
        "correlation_ids": [f"as:up:{uuid.uuid4().hex}"],
        "received_at": now,
        "uplink_message": {
            "f_port": 85,
            "f_cnt": f_cnt,
            "frm_payload": base64.b64encode(bytes.fromhex(VECTOR)).decode(),
            "received_at": now,
        },
    }
    return f"{APP}/devices/em310-00bb/up", json.dumps(body).encode()


def _tts_join(session_key_id: str | None = None) -> tuple[str, bytes]:
    """A join-accept message (Data Formats: join-accept messages)."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "end_device_ids": _ids(),
        "correlation_ids": [f"as:up:{uuid.uuid4().hex}"],
        "received_at": now,
        "join_accept": {
            "session_key_id": session_key_id or base64.b64encode(uuid.uuid4().bytes).decode(),
            "received_at": now,
        },
    }
    return f"{APP}/devices/em310-00bb/join", json.dumps(body).encode()


@pytest.fixture
def classifier(database_url: str) -> Classifier:
    with psycopg.connect(database_url) as conn:
        register_container(
            conn, sample_container("T1", DEV_EUI, waste_kind="paper", capacity_litres=660)
        )
    return classifier_for(database_url)


def test_without_a_join_a_repeated_counter_is_a_replay(
    database_url: str, classifier: Classifier
) -> None:
    first = store(database_url, _tts_uplink(1), classifier=classifier)
    replay = store(database_url, _tts_uplink(1), classifier=classifier)
    assert (first.stored, replay.stored, replay.dead_letters) == (1, 0, 1)


def test_after_a_tts_rejoin_low_counters_are_new_frames(
    database_url: str, classifier: Classifier
) -> None:
    store(database_url, _tts_uplink(1), _tts_uplink(2), classifier=classifier)
    after = store(database_url, _tts_join(), _tts_uplink(1), classifier=classifier)
    assert (after.stored, after.dead_letters) == (2, 0)
    with psycopg.connect(database_url) as conn:
        (joins,) = conn.execute(
            "SELECT count(*) FROM device_joins WHERE dev_eui = %s", (DEV_EUI,)
        ).fetchone() or (0,)
    assert joins == 1
    restarted = DeviceDirectory(database_url)
    restarted.load()  # the session survives a restart of ingest
    assert restarted.session(DEV_EUI) == classifier._directory.session(DEV_EUI) > 0


def test_the_same_join_delivered_twice_is_stored_once(
    database_url: str, classifier: Classifier
) -> None:
    join = _tts_join("c2Vzc2lvbi1rZXktMQ==")
    result = store(database_url, join, join, classifier=classifier)
    assert (result.stored, result.duplicates) == (1, 1)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", json.dumps({"end_device_ids": {"dev_eui": "00"}}).encode()],
    ids=["not-json", "empty", "no-session"],
)
def test_a_malformed_tts_join_is_dead_lettered_with_its_reason(
    database_url: str, classifier: Classifier, body: bytes
) -> None:
    topic, _ = _tts_join()
    result = store(database_url, (topic, body), classifier=classifier)
    assert result.dead_letters == 1
    with psycopg.connect(database_url) as conn:
        (reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
    assert reason.startswith("not a The Things Stack v3 join")
