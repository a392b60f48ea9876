"""Retiring a container (`POST /api/containers/{id}/retire`): taken off the street, it leaves the
map, the route plans and the open data, its record stays, its alerts are resolved and its
sensor is free for another container."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from live_ingest import live_ingest
from live_map import map_server, open_map
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.planning.collection import container_forecasts
from tilsyn.routing.collection_fleet import load_collection_fleet

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted
OLD_EUI, OTHER_EUI = "24e124713b000001", "24e124713b000002"
REASON = "recycling point at Bredgade closed"


@pytest.fixture(autouse=True)
def registered(database_url: str) -> None:
    """Two glass containers in service; `client` is the API's (fix_auth)."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI, address="Bredgade 1"))
        register_container(conn, sample_container("G2", OTHER_EUI))


def _username(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/auth/me", headers=headers).json()["username"])


def _retire(client: TestClient, headers: dict[str, str], reason: str = REASON) -> httpx.Response:
    return client.post("/api/containers/G1/retire", json={"reason": reason}, headers=headers)


def test_a_retired_container_leaves_service_and_stays_on_record(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    operator = sign_in("operator")
    name = _username(client, operator)
    answer = _retire(client, operator, f"  {REASON} ")
    assert answer.status_code == 200, answer.text
    retired = answer.json()
    assert (retired["container_id"], retired["dev_eui"], retired["address"]) == (
        "G1",
        OLD_EUI,
        "Bredgade 1",
    )
    assert (retired["retired_by"], retired["reason"]) == (name, REASON)

    listed = client.get("/api/containers", headers=operator).json()
    assert [state["container_id"] for state in listed] == ["G2"]
    gone = client.get("/api/containers/G1", headers=operator)
    assert gone.status_code == 404
    day = datetime.fromisoformat(retired["retired_at"]).strftime("%Y-%m-%d")
    assert gone.json()["detail"] == f"container G1 was retired on {day} by {name}: {REASON}"
    assert client.get("/api/containers/retired", headers=operator).json() == [retired]

    changes = client.get("/api/containers/G1/changes", headers=operator).json()
    assert changes[0]["changed_by"] == name
    assert changes[0]["changes"] == [
        {"field": "dev_eui", "old": OLD_EUI, "new": None},
        {"field": "retired", "old": None, "new": REASON},
    ]
    with psycopg.connect(database_url) as conn:
        devices = conn.execute("SELECT device_id FROM devices ORDER BY 1").fetchall()
    assert devices == [(OTHER_EUI,)], "the retired container's sensor is no longer registered"


def test_a_retired_container_is_neither_changed_nor_retired_again(
    client: TestClient, sign_in: SignIn
) -> None:
    operator = sign_in("operator")
    assert _retire(client, operator).status_code == 200
    again = _retire(client, operator, "twice")
    assert again.status_code == 409
    assert "container G1 was retired on" in again.json()["detail"]
    changed = client.patch("/api/containers/G1", json={"address": "x"}, headers=operator)
    assert changed.status_code == 409
    assert REASON in changed.json()["detail"]
    unknown = client.post("/api/containers/G9/retire", json={"reason": "x"}, headers=operator)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no container G9"


@pytest.mark.parametrize("body", [{"reason": "   "}, {}, {"reason": "x", "when": "now"}])
def test_a_retirement_needs_a_reason_and_nothing_else(
    client: TestClient, sign_in: SignIn, body: dict[str, Any]
) -> None:
    operator = sign_in("operator")
    answer = client.post("/api/containers/G1/retire", json=body, headers=operator)
    assert answer.status_code == 422, answer.text
    assert client.get("/api/containers/G1", headers=operator).status_code == 200


@pytest.mark.parametrize("role", ["night_nurse", "home_care_nurse", "infection_control"])
def test_only_those_who_manage_containers_retire_them(
    client: TestClient, sign_in: SignIn, role: str
) -> None:
    assert _retire(client, sign_in(role)).status_code == 403
    assert client.get("/api/containers/G1", headers=sign_in("operator")).status_code == 200


def test_the_sensor_may_be_fitted_to_another_container_but_the_id_is_not_reused(
    client: TestClient, sign_in: SignIn
) -> None:
    admin = sign_in("admin")
    assert _retire(client, admin).status_code == 200
    body = sample_container("G3", OLD_EUI).model_dump()
    moved = client.post("/api/containers", json=body, headers=admin)
    assert moved.status_code == 201, moved.text
    assert moved.json()["dev_eui"] == OLD_EUI
    reused = client.post(
        "/api/containers",
        json=sample_container("G1", "24e124713b0000f1").model_dump(),
        headers=admin,
    )
    assert reused.status_code == 409
    assert reused.json()["detail"].endswith("a container id is never used again")


def test_retiring_resolves_the_containers_open_alerts_and_only_its_own(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        apply_signals(
            conn,
            [
                Signal("container", "G1", "fill_high", True, now, title="G1 is full"),
                Signal("container", "G2", "fill_high", True, now, title="G2 is full"),
            ],
        )
    operator = sign_in("operator")
    assert _retire(client, operator).status_code == 200
    alerts = client.get("/api/alerts?include_resolved=true", headers=operator).json()
    states = {alert["entity_id"]: alert["state"] for alert in alerts}
    assert states == {"G1": "resolved", "G2": "open"}
    (g1,) = [alert for alert in alerts if alert["entity_id"] == "G1"]
    history = client.get(f"/api/alerts/{g1['alert_id']}", headers=operator).json()["history"]
    assert history[-1]["event"] == "resolved"
    assert history[-1]["actor"] == _username(client, operator)
    assert history[-1]["detail"] == {"note": f"container retired: {REASON}"}


def test_a_retired_container_is_neither_planned_nor_published(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    operator = sign_in("operator")
    assert _retire(client, operator).status_code == 200
    geojson = client.get("/api/geojson/containers", headers=operator).json()
    assert [feature["id"] for feature in geojson["features"]] == ["G2"]
    now = datetime.now(UTC)
    services = load_collection_fleet(Settings().collection_fleet_file)
    with psycopg.connect(database_url) as conn:
        forecasts = container_forecasts(conn, now, now, services)
    # Neither has reported yet: each container in service is listed as not plannable.
    assert [item.container_id for item in forecasts.unplannable] == ["G2"]


# ---- the sensor left behind, and open maps --------------------------------------------------


def _quarantined(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT dev_eui, reason FROM quarantine").fetchall()


@contextmanager
def _retired_after_a_reading(
    database_url: str, mqtt_url: str, sign_in: SignIn
) -> Iterator[tuple[TestClient, MqttConnection, dict[str, str]]]:
    """Live ingest and the API; G1's sensor was heard once (frame 1), then G1 retired."""
    with (
        live_ingest(database_url, mqtt_url) as (ingest, network_server),
        TestClient(create_app(database_url, ingest)) as client,
    ):
        operator = sign_in("operator")
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=1), qos=1)
        wait_for(lambda: _stored(database_url) == 1, timeout=30)
        assert _retire(client, operator).status_code == 200
        yield client, network_server, operator


def test_uplinks_of_a_retired_containers_sensor_go_to_quarantine(
    database_url: str, mqtt_url: str, sign_in: SignIn
) -> None:
    with _retired_after_a_reading(database_url, mqtt_url, sign_in) as (_, network_server, _):
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=2), qos=1)
        wait_for(lambda: _quarantined(database_url), timeout=30)
    assert _quarantined(database_url) == [(OLD_EUI, f"unknown device {OLD_EUI}")]
    assert _stored(database_url) == 1, "the reading from its service stays"


def _stored(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM container_readings WHERE container_id = 'G1'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_open_maps_hear_of_a_retirement(database_url: str, sign_in: SignIn) -> None:
    with map_server(database_url) as (url, feed):
        operator = sign_in("operator")
        events = open_map(url, operator, feed)
        answer = httpx.post(
            f"{url}/api/containers/G1/retire", json={"reason": REASON}, headers=operator, timeout=15
        )
        assert answer.status_code == 200, answer.text
        wait_for(lambda: events, timeout=15)
    assert events == [("retired", ["G1"])]


def _reinstate(
    client: TestClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> httpx.Response:
    return client.post("/api/containers/G1/reinstate", json=body, headers=headers)


def test_a_container_retired_by_mistake_is_put_back_with_its_sensor(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    operator = sign_in("operator")
    name = _username(client, operator)
    assert _retire(client, operator).status_code == 200
    answer = _reinstate(client, operator)
    assert answer.status_code == 200, answer.text
    state = answer.json()
    assert (state["container_id"], state["dev_eui"], state["address"]) == (
        "G1",
        OLD_EUI,
        "Bredgade 1",
    )
    listed = client.get("/api/containers", headers=operator).json()
    assert sorted(s["container_id"] for s in listed) == ["G1", "G2"]
    assert client.get("/api/containers/retired", headers=operator).json() == []
    back, retirement = client.get("/api/containers/G1/changes", headers=operator).json()[:2]
    assert back["changed_by"] == name
    assert back["changes"] == [
        {"field": "retired", "old": REASON, "new": None},
        {"field": "dev_eui", "old": None, "new": OLD_EUI},
    ]
    assert retirement["changes"][1] == {"field": "retired", "old": None, "new": REASON}
    with psycopg.connect(database_url) as conn:
        sensor = conn.execute(
            "SELECT codec FROM devices WHERE device_id = %s", (OLD_EUI,)
        ).fetchone()
        register = conn.execute(
            "SELECT retired_at, retired_by, retired_reason, retired_dev_eui, retired_codec"
            " FROM container_register WHERE container_id = 'G1'"
        ).fetchone()
    assert sensor == (sample_container("G1", OLD_EUI).codec,), "registered with its own codec"
    assert register == (None, None, None, None, None)
    # In service again: it may be changed, and retired again.
    assert client.patch("/api/containers/G1", json={"address": "x"}, headers=operator).is_success
    assert _retire(client, operator, "for good").status_code == 200


def test_a_container_whose_sensor_went_elsewhere_needs_another(
    client: TestClient, sign_in: SignIn
) -> None:
    admin = sign_in("admin")
    assert _retire(client, admin).status_code == 200
    body = sample_container("G3", OLD_EUI).model_dump()
    assert client.post("/api/containers", json=body, headers=admin).status_code == 201
    taken = _reinstate(client, admin)
    assert taken.status_code == 409
    assert taken.json()["detail"] == (
        f"device {OLD_EUI} is registered already: fitted to another container since;"
        " give the sensor it has now"
    )
    assert client.get("/api/containers/G1", headers=sign_in("operator")).status_code == 404
    bad = _reinstate(client, admin, {"dev_eui": "not-a-eui"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][:2] == ["body", "dev_eui"]
    fitted = _reinstate(client, admin, {"dev_eui": "24E124713B0000F1"})
    assert fitted.status_code == 200, fitted.text
    assert fitted.json()["dev_eui"] == "24e124713b0000f1"


def test_only_a_retired_container_is_put_back(client: TestClient, sign_in: SignIn) -> None:
    operator = sign_in("operator")
    in_service = _reinstate(client, operator)
    assert in_service.status_code == 409
    assert in_service.json()["detail"] == "container G1 is in service"
    unknown = client.post("/api/containers/G9/reinstate", headers=operator)
    assert unknown.status_code == 404
    assert _retire(client, operator).status_code == 200
    extra = _reinstate(client, operator, {"reason": "oops"})
    assert extra.status_code == 422
    for role in ("night_nurse", "home_care_nurse", "infection_control"):
        assert _reinstate(client, sign_in(role)).status_code == 403
    assert client.get("/api/containers/G1", headers=operator).status_code == 404


def test_a_reinstated_containers_sensor_is_heard_again(
    database_url: str, mqtt_url: str, sign_in: SignIn
) -> None:
    """Ingest looks the sensor up again: its next uplink is the container's reading."""
    with _retired_after_a_reading(database_url, mqtt_url, sign_in) as (
        client,
        network_server,
        operator,
    ):
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=2), qos=1)
        wait_for(lambda: _quarantined(database_url), timeout=30)
        assert _reinstate(client, operator).status_code == 200
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=3), qos=1)
        wait_for(lambda: _stored(database_url) == 2, timeout=30)


def test_a_retired_containers_fill_history_stays_readable(
    database_url: str, mqtt_url: str, sign_in: SignIn
) -> None:
    with _retired_after_a_reading(database_url, mqtt_url, sign_in) as (client, _, operator):
        history = client.get("/api/containers/G1/history?hours=24", headers=operator)
        assert history.status_code == 200, history.text
        assert sum(hour["readings"] for hour in history.json()["hourly"]) == 1
        assert history.json()["forecast"] == {
            "hours_until_full": None,
            "full_by": None,
            "based_on_readings": 0,
        }
        missing = client.get("/api/containers/G9/history", headers=operator)
        assert missing.status_code == 404


def test_open_maps_hear_of_a_container_put_back(database_url: str, sign_in: SignIn) -> None:
    with map_server(database_url) as (url, feed):
        operator = sign_in("operator")
        events = open_map(url, operator, feed)
        retired = httpx.post(
            f"{url}/api/containers/G1/retire", json={"reason": REASON}, headers=operator, timeout=15
        )
        assert retired.status_code == 200, retired.text
        wait_for(lambda: events, timeout=15)
        answer = httpx.post(f"{url}/api/containers/G1/reinstate", headers=operator, timeout=15)
        assert answer.status_code == 200, answer.text
        wait_for(lambda: len(events) == 2, timeout=15)
    ((first, retired_ids), (second, (state,))) = events
    assert (first, retired_ids, second) == ("retired", ["G1"], "fill")
    assert (state["container_id"], state["dev_eui"]) == ("G1", OLD_EUI)
