"""How each container's sensor gets through (`GET /api/containers/links`), and each hand-hygiene
dispenser (`GET /api/hygiene/dispensers`): uplinks stored and uplinks missing by their LoRaWAN
frame counts, per session, over a window of days."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from direct_ingest import classifier_for, store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from lorawan import chirpstack_join, chirpstack_uplink
from registry_seed import register_medical_3, sample_container

from tilsyn.codecs import encode
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.classify import Classifier

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted
LOSSY, CLEAN, NEVER = "24e124713b0000b1", "24e124713b0000b2", "24e124713b0000b3"
DISPENSER_EUI = "70b3d57ed00000b4"


@pytest.fixture
def classifier(database_url: str) -> Classifier:
    with psycopg.connect(database_url) as conn:
        for container_id, dev_eui in (("L1", LOSSY), ("L2", CLEAN), ("L3", NEVER)):
            register_container(conn, sample_container(container_id, dev_eui))
        register_medical_3(conn, DISPENSER_EUI)
    return classifier_for(database_url)


def _dispenser(f_cnt: int) -> tuple[str, bytes]:
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "dispenser_status",
            "time": int(datetime.now(UTC).timestamp()) - 60,
            "use_count": 1234 + f_cnt,
            "refill_percent": 18,
            "battery_percent": 77,
            "uses": [],
        },
    )
    return chirpstack_uplink(DISPENSER_EUI, payload.hex(), f_cnt=f_cnt, f_port=10)


def _links(client: TestClient, sign_in: SignIn, **params: int) -> list[dict[str, object]]:
    answer = client.get("/api/containers/links", params=params, headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _sent(database_url: str, classifier: Classifier) -> None:
    """L1 loses fCnt 4, 7 and 8, a copy of 5 is replayed, then it rejoins and counts from 1
    again without loss; L2 loses nothing; L3 is never heard; the dispenser loses 2."""
    lossy = [chirpstack_uplink(LOSSY, VECTOR, f_cnt=n) for n in (1, 2, 3, 5, 6, 9)]
    replay = chirpstack_uplink(LOSSY, VECTOR, f_cnt=5)
    clean = [chirpstack_uplink(CLEAN, VECTOR, f_cnt=n) for n in range(10, 15)]
    dispenser = [_dispenser(n) for n in (1, 3)]
    first = store(database_url, *lossy, *clean, *dispenser, classifier=classifier)
    assert first.stored == len(lossy) + len(clean) + len(dispenser)
    again = store(database_url, replay, classifier=classifier)
    assert (again.stored, again.dead_letters) == (0, 1)
    rejoined = [
        chirpstack_join(LOSSY),
        *(chirpstack_uplink(LOSSY, VECTOR, f_cnt=n) for n in (1, 2)),
    ]
    store(database_url, *rejoined, classifier=classifier)


def test_each_sensor_shows_what_it_sent_and_what_never_arrived(
    database_url: str, classifier: Classifier, client: TestClient, sign_in: SignIn
) -> None:
    _sent(database_url, classifier)
    links = _links(client, sign_in)
    assert [link["container_id"] for link in links] == ["L1", "L2", "L3"]
    lossy, clean, never = links
    assert (lossy["dev_eui"], lossy["received"], lossy["missing"], lossy["sessions"]) == (
        LOSSY,
        8,
        3,
        2,
    )
    assert lossy["missing_percent"] == pytest.approx(27.3)
    assert (clean["received"], clean["missing"], clean["sessions"]) == (5, 0, 1)
    assert clean["missing_percent"] == 0.0 and clean["last_heard"] is not None
    assert never == {
        "container_id": "L3",
        "dev_eui": NEVER,
        "received": 0,
        "missing": 0,
        "sessions": 0,
        "last_heard": None,
        "missing_percent": None,
    }


def test_a_dispenser_that_loses_uplinks_is_flagged_for_infection_control(
    database_url: str, classifier: Classifier, client: TestClient, sign_in: SignIn
) -> None:
    """Its lost reports carried uses that are missing from the ward's rates."""
    _sent(database_url, classifier)
    answer = client.get("/api/hygiene/dispensers", headers=sign_in("infection_control"))
    assert answer.status_code == 200, answer.text
    (dispenser,) = (d for d in answer.json() if d["dev_eui"] == DISPENSER_EUI)
    uplinks = dispenser["uplinks"]
    assert (uplinks["received"], uplinks["missing"], uplinks["sessions"]) == (2, 1, 1)
    assert uplinks["missing_percent"] == pytest.approx(33.3)
    assert dispenser["weak_link"] is True


def test_the_window_leaves_older_uplinks_out(
    database_url: str, classifier: Classifier, client: TestClient, sign_in: SignIn
) -> None:
    _sent(database_url, classifier)
    with psycopg.connect(database_url) as conn:  # L1's first session was stored 3 days ago
        conn.execute(
            "UPDATE ingest_keys SET seen_at = now() - interval '3 days'"
            " WHERE key LIKE %s AND split_part(key, ':', 3) = '0'",
            (f"fc:{LOSSY}:%",),
        )
    lossy = next(link for link in _links(client, sign_in, days=2) if link["container_id"] == "L1")
    assert (lossy["received"], lossy["missing"], lossy["sessions"]) == (2, 0, 1)
    week = _links(client, sign_in, days=7)[0]
    assert (week["container_id"], week["received"], week["missing"]) == ("L1", 8, 3)


@pytest.mark.parametrize("days", [0, 8, -1])
def test_a_window_beyond_what_ingest_keeps_is_refused(
    client: TestClient, sign_in: SignIn, days: int
) -> None:
    answer = client.get("/api/containers/links", params={"days": days}, headers=sign_in("operator"))
    assert answer.status_code == 422


@pytest.mark.parametrize("role", ["night_nurse", "home_care_nurse", "infection_control", "admin"])
def test_only_operators_read_the_links(client: TestClient, sign_in: SignIn, role: str) -> None:
    assert client.get("/api/containers/links", headers=sign_in(role)).status_code == 403
