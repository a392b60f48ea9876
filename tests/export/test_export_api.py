"""The open-data endpoints over HTTP: FHIR (audited, validated), NGSI-LD, GeoJSON, CSV, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        for kind, value, unit in [("systolic_bp", 141, "mm[Hg]"), ("diastolic_bp", 88, "mm[Hg]")]:
            conn.execute(
                "INSERT INTO vital_observations (time, patient_id, kind, value, unit,"
                " observation_id, hub_id) VALUES (%s, 'P1', %s, %s, %s, 'bp-1', 'h')",
                (NOW, kind, value, unit),
            )
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', 'heart_rate', 77, '/min', 'h')",
            (NOW + timedelta(hours=1),),
        )
        register_container(
            conn,
            ContainerIn(
                container_id="C9",
                dev_eui="24e1247100000009",
                waste_kind="paper",
                capacity_litres=3000,
                empty_distance_mm=2000,
                full_distance_mm=300,
                latitude=56.14,
                longitude=8.97,
            ),
        )
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def test_fhir_search_returns_a_valid_bundle_and_is_audited(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    response = client.get(
        "/fhir/Observation",
        headers=nurse,
        params={"patient": "Patient/P1", "date": ["ge2026-11-20", "le2026-11-21"]},
    )
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 2
    panel = next(e.resource for e in bundle.entry if e.resource.code.coding[0].code == "85354-9")
    assert {c.code.coding[0].code for c in panel.component} == {"8480-6", "8462-4"}
    one = client.get(f"/fhir/Observation/{panel.id}", headers=nurse).json()
    Observation.model_validate(one)
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    assert {a["action"] for a in audit} >= {"fhir_search", "fhir_read"}
    assert (
        client.get(
            "/fhir/Observation", params={"patient": "P1"}, headers=sign_in("operator")
        ).status_code
        == 403
    )


def test_ngsi_ld_and_geojson_for_the_operator(client: TestClient, sign_in: SignIn) -> None:
    operator = sign_in("operator")
    (entity,) = client.get("/ngsi-ld/v1/entities", headers=operator).json()
    assert entity["type"] == "WasteContainer"
    assert entity["location"]["value"]["coordinates"] == [8.97, 56.14]
    geo = client.get("/api/geojson/containers", headers=operator).json()
    assert geo["features"][0]["geometry"]["coordinates"] == [8.97, 56.14]


def test_csv_export_streams_rows_and_respects_roles(client: TestClient, sign_in: SignIn) -> None:
    params = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z", "key": "P1"}
    text = client.get(
        "/api/export/csv/vital_observations", params=params, headers=sign_in("home_care_nurse")
    ).text
    lines = text.strip().splitlines()
    assert lines[0].startswith("time,") and len(lines) == 4
    refused = client.get(
        "/api/export/csv/vital_observations", params=params, headers=sign_in("operator")
    )
    assert refused.status_code == 403
    nul = client.get(
        "/api/export/csv/container_readings",
        params={**params, "key": "C\x009"},
        headers=sign_in("operator"),
    )
    assert nul.status_code == 422, "refused before the stream begins, not 200 and nothing"


def test_a_csv_export_of_every_patient_is_in_each_patients_audit_trail(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P2", unit="Våler"))
        register_patient(conn, PatientIn(patient_id="P3", unit="Våler"))  # nothing that day
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P2', 'spo2', 95, '%%', 'h')",
            (NOW,),
        )
    params = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}
    nurse = sign_in("home_care_nurse")
    assert client.get("/api/export/csv/vital_observations", params=params, headers=nurse).is_success
    admin = sign_in("admin")
    for patient, exported in (("P1", True), ("P2", True), ("P3", False)):
        trail = client.get("/api/admin/audit", params={"patient_id": patient}, headers=admin)
        actions = [entry["action"] for entry in trail.json()]
        assert ("csv_export" in actions) is exported, (patient, actions)


def test_metrics_in_prometheus_format(client: TestClient, sign_in: SignIn) -> None:
    client.get("/api/containers", headers=sign_in("operator"))
    text = client.get("/metrics").text
    assert "tilsyn_http_request_duration_seconds_bucket" in text
    assert 'tilsyn_alerts_open{severity="critical"} 0.0' in text
    assert "tilsyn_db_pool_connections" in text


def test_ngsi_ld_entities_carry_the_fill_forecast_and_last_emptying(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    now = datetime.now(UTC)
    history = [(-30, 85.0), (-26, 5.0), (-20, 20.0), (-10, 45.0), (-2, 65.0)]
    with psycopg.connect(database_url) as conn:
        for hours, fill in history:
            conn.execute(
                "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
                " VALUES (%s, 'C9', '24e1247100000009', %s)",
                (now + timedelta(hours=hours), fill),
            )
    (entity,) = client.get("/ngsi-ld/v1/entities", headers=sign_in("operator")).json()
    deadline = datetime.fromisoformat(entity["nextActuationDeadline"]["value"]["@value"])
    emptied = datetime.fromisoformat(entity["dateLastEmptying"]["value"]["@value"])
    # 2.5 %/h since the emptying: 65 % two hours ago is 100 % about 14 hours from then.
    assert now + timedelta(hours=9) < deadline < now + timedelta(hours=16)
    assert now - timedelta(hours=27) < emptied < now - timedelta(hours=25)


def test_the_hygiene_export_is_summed_so_no_one_persons_washes_show(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Counts are stored per badge and decision: two nurses and a doctor on one ward that day
    leave the server as one row of sums, without their roles."""
    day_start = datetime(2026, 11, 19, 23, tzinfo=UTC)  # 20 November, 00:00 in Oslo
    with psycopg.connect(database_url) as conn:
        conn.cursor().executemany(
            "INSERT INTO hygiene_compliance_counts (time, ward_id, zone_type, day, role,"
            " opportunities, met) VALUES (%s, 'M3', 'patient_zone', '2026-11-20', %s, %s, %s)",
            [(day_start, "nurse", 2, 1), (day_start, "nurse", 2, 0), (day_start, "doctor", 2, 0)],
        )
    params = {"start": "2026-11-19T00:00:00Z", "end": "2026-11-21T00:00:00Z"}
    answer = client.get(
        "/api/export/csv/hygiene_compliance_counts",
        params=params,
        headers=sign_in("infection_control"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.text.splitlines() == [
        "time,day,ward_id,zone_type,opportunities,met",
        "2026-11-19 23:00:00+00,2026-11-20,M3,patient_zone,6,1",
    ]
