"""Registering wards, dispensers, badges, patients and hubs over HTTP, and a patient's home."""

from __future__ import annotations

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn

pytestmark = pytest.mark.integration
WARD = {
    "ward_id": "W1",
    "name": "Medicinsk afsnit",
    "zones": [{"zone_id": 1, "room_id": "101", "zone_type": "patient_zone"}],
}
HOME = {"address": "Bredgade 3, 7400 Herning", "latitude": 56.14, "longitude": 8.97}


def test_an_admin_registers_a_ward_with_its_devices_and_ingest_knows_them(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    admin = sign_in("admin")
    assert client.post("/api/registry/wards", json=WARD, headers=admin).status_code == 201
    dispenser = {
        "dev_eui": "70B3D57ED0000001",
        "ward_id": "W1",
        "dispenser_id": 7,
        "zone_id": 1,
        "room_id": "101",
    }
    assert client.post("/api/registry/dispensers", json=dispenser, headers=admin).status_code == 201
    badge = {"dev_eui": "70b3d57ed0000002", "ward_id": "W1", "role": "nurse"}
    assert client.post("/api/registry/badges", json=badge, headers=admin).status_code == 201
    with psycopg.connect(database_url) as conn:
        families = conn.execute("SELECT device_id, family FROM devices ORDER BY 1").fetchall()
    assert families == [("70b3d57ed0000001", "dispenser"), ("70b3d57ed0000002", "badge")]
    # A message from the new dispenser is not quarantined as an unknown device.
    uplink = ("application/a/device/70b3d57ed0000001/event/up", b"{}")
    assert store(database_url, uplink).quarantined == 0


def test_duplicates_conflict_and_unknown_references_are_refused_storing_nothing(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    admin = sign_in("admin")
    client.post("/api/registry/wards", json=WARD, headers=admin)
    again = client.post("/api/registry/wards", json=WARD, headers=admin)
    assert again.status_code == 409 and "W1" in again.json()["detail"]
    orphan = {"dev_eui": "70b3d57ed0000009", "ward_id": "NOPE", "role": "doctor"}
    refused = client.post("/api/registry/badges", json=orphan, headers=admin)
    assert refused.status_code == 422 and "unknown" in refused.json()["detail"]
    hub = {"hub_id": "hub-1", "unit": "Våler", "patient_ids": ["P-UNKNOWN"]}
    assert client.post("/api/registry/hubs", json=hub, headers=admin).status_code == 422
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM devices").fetchone() == (0,)


def test_a_patient_is_registered_with_a_home_that_home_care_can_correct_audited(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    body = {"patient_id": "P1", "unit": "Våler", "home": HOME}
    assert (
        client.post("/api/registry/patients", json=body, headers=sign_in("admin")).status_code
        == 201
    )
    moved = {**HOME, "address": "Østergade 9, 7400 Herning", "latitude": 56.15}
    nurse = sign_in("home_care_nurse")
    assert (
        client.put("/api/registry/patients/P1/home", json=moved, headers=nurse).status_code == 200
    )
    assert (
        client.put("/api/registry/patients/P9/home", json=moved, headers=nurse).status_code == 404
    )
    bad = {**HOME, "latitude": 123}
    assert client.put("/api/registry/patients/P1/home", json=bad, headers=nurse).status_code == 422
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT address, latitude, longitude FROM patients WHERE patient_id = 'P1'"
        ).fetchone() == ("Østergade 9, 7400 Herning", 56.15, 8.97)
        actions = conn.execute(
            "SELECT action, username FROM audit_log WHERE patient_id = 'P1' ORDER BY id"
        ).fetchall()
    assert [action for action, _ in actions] == ["register_patient", "set_home"]


@pytest.mark.parametrize("role", ["operator", "night_nurse", "infection_control"])
def test_only_the_registry_roles_may_register_or_move_patients(
    client: TestClient, sign_in: SignIn, role: str
) -> None:
    headers = sign_in(role)
    assert client.post("/api/registry/wards", json=WARD, headers=headers).status_code == 403
    home = client.put("/api/registry/patients/P1/home", json=HOME, headers=headers)
    assert home.status_code == 403
    patient = {"patient_id": "P2", "unit": "Våler"}
    assert (
        client.post(
            "/api/registry/patients", json=patient, headers=sign_in("home_care_nurse")
        ).status_code
        == 403
    )
