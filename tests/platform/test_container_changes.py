"""Changing a registered container (`PATCH /api/containers/{id}`): moved, recalibrated, given a
new sensor; each change on record, and what ingest and open maps make of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from live_ingest import live_ingest
from live_map import map_server, open_map
from lorawan import chirpstack_uplink
from registry_seed import register_medical_3, sample_container
from waiting import wait_for

import tilsyn.platform.ingest.service as ingest_service
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.directory import DeviceDirectory

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted
OLD_EUI, NEW_EUI, OTHER_EUI = "24e124713b000001", "24e124713b0000a1", "24e124713b000002"
DISPENSER_EUI = "70b3d57ed0000001"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI, address="Bredgade 1"))
        register_container(conn, sample_container("G2", OTHER_EUI))
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def _registration(database_url: str, container_id: str) -> tuple[Any, ...] | None:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT c.dev_eui, d.codec, c.waste_kind, c.capacity_litres, c.empty_distance_mm,"
            " c.full_distance_mm, c.latitude, c.longitude, c.address"
            " FROM containers c JOIN devices d ON d.device_id = c.dev_eui"
            " WHERE container_id = %s",
            (container_id,),
        ).fetchone()


def _records(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM container_changes").fetchone()
    assert row is not None
    return int(row[0])


def test_only_the_fields_given_change_and_the_answer_is_the_new_state(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    moved = {"address": "Østergade 9, 7400 Herning", "latitude": 56.13, "longitude": 8.98}
    answer = client.patch("/api/containers/G1", json=moved, headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    state = answer.json()
    assert {key: state[key] for key in moved} == moved
    assert (state["container_id"], state["dev_eui"], state["waste_kind"]) == (
        "G1",
        OLD_EUI,
        "glass",
    )
    assert (state["capacity_litres"], state["empty_distance_mm"]) == (2500, 3000)
    assert _registration(database_url, "G1") == (
        OLD_EUI,
        "milesight-em310-udl",
        "glass",
        2500,
        3000,
        500,
        56.13,
        8.98,
        "Østergade 9, 7400 Herning",
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # Each alone would be a valid value; against the stored other distance it is not.
        ({"full_distance_mm": 3200}, "full_distance_mm must be less than empty_distance_mm"),
        ({"empty_distance_mm": 400}, "full_distance_mm must be less than empty_distance_mm"),
        ({"latitude": 91}, "less than or equal to 90"),
        ({"capacity_litres": 0}, "greater than or equal to 1"),
        ({"codec": "elsys-ers"}, "codec must be one of"),
        ({"dev_eui": "not-a-eui"}, "String should match pattern"),
        ({"waste_kind": None}, "valid string"),
        ({"container_id": "G9"}, "container_id cannot change"),
    ],
)
def test_a_change_is_checked_as_a_registration_of_the_changed_container(
    client: TestClient, sign_in: SignIn, database_url: str, change: dict[str, Any], problem: str
) -> None:
    before = _registration(database_url, "G1")
    answer = client.patch("/api/containers/G1", json=change, headers=sign_in("operator"))
    assert answer.status_code == 422, answer.text
    assert problem in answer.text
    assert _registration(database_url, "G1") == before
    assert _records(database_url) == 0


def test_both_distances_may_change_together(client: TestClient, sign_in: SignIn) -> None:
    recalibrated = {"empty_distance_mm": 400, "full_distance_mm": 100}
    answer = client.patch("/api/containers/G1", json=recalibrated, headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["empty_distance_mm"], answer.json()["full_distance_mm"]) == (400, 100)


def test_an_unknown_container_is_not_found(client: TestClient, sign_in: SignIn) -> None:
    operator = sign_in("operator")
    answer = client.patch("/api/containers/NOPE", json={"address": "x"}, headers=operator)
    assert answer.status_code == 404 and "NOPE" in answer.json()["detail"]
    assert client.get("/api/containers/NOPE/changes", headers=operator).status_code == 404


def test_a_sensor_registered_elsewhere_cannot_be_taken(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        register_medical_3(conn, DISPENSER_EUI)
    operator = sign_in("operator")
    for taken in (OTHER_EUI.upper(), DISPENSER_EUI):
        answer = client.patch("/api/containers/G1", json={"dev_eui": taken}, headers=operator)
        assert answer.status_code == 409, answer.text
        assert taken.lower() in answer.json()["detail"]
    assert _registration(database_url, "G1")[0] == OLD_EUI  # type: ignore[index]
    assert _records(database_url) == 0


def test_every_change_is_on_record_with_who_when_and_from_what_to_what(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    first, second = sign_in("operator"), sign_in("admin")
    client.patch(
        "/api/containers/G1", json={"latitude": 56.2, "address": "Torvet 1"}, headers=first
    )
    client.patch("/api/containers/G1", json={"capacity_litres": 660}, headers=second)
    # The same values again change nothing, and nothing more is recorded.
    client.patch("/api/containers/G1", json={"capacity_litres": 660}, headers=second)
    answer = client.get("/api/containers/G1/changes", headers=first)
    assert answer.status_code == 200, answer.text
    newest, oldest = answer.json()
    who = [client.get("/api/auth/me", headers=h).json()["username"] for h in (second, first)]
    assert [newest["changed_by"], oldest["changed_by"]] == who
    assert newest["changed_at"] >= oldest["changed_at"]
    assert newest["changes"] == [{"field": "capacity_litres", "old": 2500.0, "new": 660.0}]
    assert oldest["changes"] == [
        {"field": "latitude", "old": 56.1, "new": 56.2},
        {"field": "address", "old": "Bredgade 1", "new": "Torvet 1"},
    ]
    assert client.get("/api/containers/G2/changes", headers=first).json() == []


@pytest.mark.parametrize("role", ["night_nurse", "home_care_nurse", "infection_control"])
def test_only_roles_that_manage_containers_may_change_them(
    client: TestClient, sign_in: SignIn, database_url: str, role: str
) -> None:
    before = _registration(database_url, "G1")
    answer = client.patch("/api/containers/G1", json={"latitude": 56.3}, headers=sign_in(role))
    assert answer.status_code == 403
    assert "manage containers" in answer.json()["detail"]
    assert client.get("/api/containers/G1/changes", headers=sign_in(role)).status_code == 403
    assert _registration(database_url, "G1") == before
    assert client.patch("/api/containers/G1", json={"latitude": 56.3}).status_code == 401


# ---- a new sensor, with real uplinks through a broker and a running ingest ----------------


def _readings(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT dev_eui, fcnt, distance_mm, fill_percent FROM container_readings"
            " WHERE container_id = 'G1' ORDER BY received_at, dev_eui"
        ).fetchall()


def _quarantined(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT dev_eui, reason FROM quarantine").fetchall()


@pytest.fixture
def live(database_url: str, mqtt_url: str) -> Iterator[tuple[TestClient, MqttConnection]]:
    """The app with ingest running in it, and a network server's connection to the broker."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    with (
        live_ingest(database_url, mqtt_url) as (ingest, network_server),
        TestClient(create_app(database_url, ingest)) as client,
    ):
        yield client, network_server


def test_after_a_sensor_swap_the_new_sensor_is_stored_and_the_old_one_quarantined(
    live: tuple[TestClient, MqttConnection], database_url: str, sign_in: SignIn
) -> None:
    client, network_server = live
    network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=1), qos=1)
    wait_for(lambda: _readings(database_url), timeout=30)  # ingest knows the old sensor now

    # A new sensor, hung 40 cm lower: a new empty distance with it.
    swap = {"dev_eui": NEW_EUI.upper(), "empty_distance_mm": 2600}
    answer = client.patch("/api/containers/G1", json=swap, headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["dev_eui"] == NEW_EUI

    # The new sensor's frame counter starts at 1 as the old one's did.
    network_server.publish(*chirpstack_uplink(NEW_EUI, VECTOR, f_cnt=1), qos=1)
    network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=2), qos=1)
    wait_for(lambda: len(_readings(database_url)) == 2, timeout=30)
    wait_for(lambda: _quarantined(database_url), timeout=30)
    # The old reading keeps the fill of its time; the new one has the new geometry's.
    assert _readings(database_url) == [
        (OLD_EUI, 1, 2116, pytest.approx(35.4)),  # (3000 - 2116) / 2500
        (NEW_EUI, 1, 2116, pytest.approx(23.0)),  # (2600 - 2116) / 2100
    ]
    assert _quarantined(database_url) == [(OLD_EUI, f"unknown device {OLD_EUI}")]
    state = client.get("/api/containers/G1", headers=sign_in("operator")).json()
    assert state["fill_percent"] == pytest.approx(23.0)
    with psycopg.connect(database_url) as conn:
        devices = conn.execute("SELECT device_id FROM devices ORDER BY 1").fetchall()
    assert devices == [(NEW_EUI,)], "the old sensor is no longer registered"


def test_a_sensor_swapped_through_another_process_is_learned_by_ingest_within_its_reload(
    database_url: str, mosquitto_url: str, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's API changed the registration, so no one told this ingest: it learns
    of it when it reads the registry again (every minute; here every half second), off its
    writer's thread, and the old sensor's frames go to quarantine from then on."""
    monkeypatch.setattr(ingest_service, "REGISTRY_RELOAD_S", 0.5)
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    with live_ingest(database_url, mosquitto_url) as (ingest, network_server):
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=1), qos=1)
        wait_for(lambda: _readings(database_url), timeout=30)
        with TestClient(create_app(database_url)) as other_worker:
            answer = other_worker.patch(
                "/api/containers/G1", json={"dev_eui": NEW_EUI}, headers=sign_in("operator")
            )
        assert answer.status_code == 200, answer.text
        wait_for(lambda: ingest._directory.lookup(OLD_EUI) is None, timeout=10)
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=2), qos=1)
        wait_for(lambda: _quarantined(database_url), timeout=30)
    assert [row[:2] for row in _readings(database_url)] == [(OLD_EUI, 1)]


def test_a_device_forgotten_while_the_registry_is_read_is_not_brought_back_by_that_read(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reload read the old registration just before a change committed and forgot the
    sensor: putting back what it read would store the old sensor's frames for a minute."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    directory = DeviceDirectory(database_url)
    directory.load()
    read = directory._read

    def read_then_the_sensor_is_swapped() -> Any:
        found = read()
        with psycopg.connect(database_url) as conn:
            conn.execute(
                "INSERT INTO devices (device_id, family, codec)"
                " VALUES (%s, 'container', 'milesight-em310-udl')",
                (NEW_EUI,),
            )
            conn.execute("UPDATE containers SET dev_eui = %s WHERE container_id = 'G1'", (NEW_EUI,))
            conn.execute("DELETE FROM devices WHERE device_id = %s", (OLD_EUI,))
        directory.forget(OLD_EUI)  # what the API does after its commit
        return found

    monkeypatch.setattr(directory, "_read", read_then_the_sensor_is_swapped)
    directory.load()
    assert directory.lookup(OLD_EUI) is None


# ---- open maps ----------------------------------------------------------------------------


def test_a_moved_container_reaches_open_maps_at_its_new_place(
    database_url: str, sign_in: SignIn
) -> None:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    with map_server(database_url) as (url, feed):
        operator = sign_in("operator")
        events = open_map(url, operator, feed)
        moved = {"latitude": 56.15, "longitude": 8.95}
        answer = httpx.patch(f"{url}/api/containers/G1", json=moved, headers=operator, timeout=15)
        assert answer.status_code == 200, answer.text
        wait_for(lambda: events, timeout=15)
    assert events, "no event on the open stream"
    ((name, (state,)),) = events
    assert name == "fill"
    assert (state["container_id"], state["latitude"], state["longitude"]) == ("G1", 56.15, 8.95)
