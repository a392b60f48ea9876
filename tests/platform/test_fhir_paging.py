"""FHIR Observation search in pages: `total` counts every match, `next` leads to the rest, and
following it reaches every match once, each page audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.export.fhir_search import decode_cursor, encode_cursor
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TIMES = 50  # each with a pulse, a blood-pressure panel and a saturation: 150 measurements
INSERT = (
    "INSERT INTO vital_observations (time, patient_id, kind, value, unit, observation_id,"
    " device_id, hub_id) VALUES (%s, %s, %s, %s, %s, %s, %s, 'hub-1')"
)


@pytest.fixture
def url(database_url: str) -> str:
    rows = []
    for n in range(TIMES):
        at = NOW - timedelta(minutes=10 * n)
        rows += [
            (at, "P1", "heart_rate", 60 + n, "/min", f"hr-{n}", "dev-1"),
            (at, "P1", "systolic_bp", 120 + n, "mm[Hg]", f"bp-{n}", "dev-2"),
            (at, "P1", "diastolic_bp", 70 + n, "mm[Hg]", f"bp-{n}", "dev-2"),
            (at, "P1", "spo2", 90 + n % 10, "%", None, "oximeter-1"),  # a series: no id
            (at, "P2", "heart_rate", 99, "/min", f"hr-{n}", "dev-9"),
        ]
    with psycopg.connect(database_url) as conn:
        for patient in ("P1", "P2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        conn.cursor().executemany(INSERT, rows)
    return database_url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with TestClient(create_app(url)) as test_client:
        yield test_client


def _pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    bundle = client.get("/fhir/Observation", params=params, headers=headers).json()
    pages = [bundle]
    while (link := _next(bundle)) is not None:
        bundle = client.get(link, headers=headers).json()
        pages.append(bundle)
    return pages


def _next(bundle: dict[str, Any]) -> str | None:
    links = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
    return links[0] if links else None


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def _audited_pages(url: str) -> list[tuple[str, dict[str, Any]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT patient_id, detail FROM audit_log WHERE action = 'fhir_search' ORDER BY id"
        ).fetchall()
    return [(patient, detail) for patient, detail in rows]


def test_150_matches_in_pages_of_100_reach_every_match_once(
    url: str, client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    first = client.get(
        "/fhir/Observation", params={"patient": "P1", "_count": 100}, headers=nurse
    ).json()
    Bundle.model_validate(first)
    assert (first["total"], len(first["entry"])) == (150, 100)
    link = _next(first)
    assert link is not None and "patient=P1" in link and "_count=100" in link
    # A reading arriving between the pages is newer than the cursor: it is not on page 2.
    with psycopg.connect(url) as conn:
        conn.execute(
            INSERT, (NOW + timedelta(hours=1), "P1", "heart_rate", 70, "/min", "new", None)
        )
    second = client.get(link, headers=nurse).json()
    Bundle.model_validate(second)
    assert len(second["entry"]) == 50 and _next(second) is None
    assert second["total"] == 151, "total counts the matches as the page is read"
    ids = _ids(first) + _ids(second)
    assert len(set(ids)) == 150
    times = [e["resource"]["effectiveDateTime"] for b in (first, second) for e in b["entry"]]
    assert [datetime.fromisoformat(t) for t in times] == sorted(
        (datetime.fromisoformat(t) for t in times), reverse=True
    )
    everything = client.get(
        "/fhir/Observation", params={"patient": "P1", "_count": 1000}, headers=nurse
    ).json()
    missing = [e["resource"] for e in everything["entry"] if e["resource"]["id"] not in ids]
    assert len(everything["entry"]) == 151 and _next(everything) is None
    assert [r["identifier"][0]["value"] for r in missing] == ["new"]
    audits = _audited_pages(url)
    assert [patient for patient, _ in audits[:2]] == ["P1", "P1"], "each page is audited"
    assert [detail["observations"] for _, detail in audits[:2]] == [100, 50]
    assert audits[0][1]["cursor"] is None and audits[1][1]["cursor"] is not None


def test_the_next_link_keeps_the_search_and_panels_stay_whole(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    params = {"patient": "P1", "code": "85354-9,8867-4", "date": "le2026-11-20", "_count": 7}
    pages = _pages(client, nurse, **params)
    assert len(pages) == 15 and {page["total"] for page in pages} == {100}
    entries = [entry["resource"] for page in pages for entry in page["entry"]]
    assert len(entries) == 100 and len({r["id"] for r in entries}) == 100
    assert {r["code"]["coding"][0]["code"] for r in entries} == {"85354-9", "8867-4"}
    panels = [r for r in entries if r["code"]["coding"][0]["code"] == "85354-9"]
    assert all(len(panel["component"]) == 2 for panel in panels)
    assert all("code=85354-9" in (_next(page) or "code=85354-9") for page in pages)


def test_a_search_with_fewer_matches_than_a_page_has_no_next_link(
    client: TestClient, sign_in: SignIn
) -> None:
    bundle = client.get(
        "/fhir/Observation",
        params={"patient": "P2", "_count": 50},
        headers=sign_in("home_care_nurse"),
    ).json()
    assert (bundle["total"], len(bundle["entry"]), _next(bundle)) == (50, 50, None)


def test_a_cursor_not_made_by_the_search_is_refused(client: TestClient, sign_in: SignIn) -> None:
    nurse = sign_in("home_care_nurse")
    for bad in ("not-a-cursor", "W10", encode_cursor((NOW, "x", "y", "z"))[:-3]):
        response = client.get(
            "/fhir/Observation", params={"patient": "P1", "_cursor": bad}, headers=nurse
        )
        assert response.status_code == 400, bad


def test_a_cursor_reads_back_as_the_key_it_was_made_from() -> None:
    key = (NOW + timedelta(microseconds=7), "blood_pressure", "bp-1", "")
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize("params", [{"code": "\x00"}, {"date": "\x00"}, {"_cursor": "\x00"}])
def test_a_nul_character_in_a_search_is_refused_not_a_server_error(
    client: TestClient, sign_in: SignIn, params: dict[str, str]
) -> None:
    """Found by the API fuzzer: `code=%00` reached the audit record, which PostgreSQL cannot
    hold, and answered 500."""
    response = client.get(
        "/fhir/Observation", params={"patient": "P1", **params}, headers=sign_in("home_care_nurse")
    )
    assert 400 <= response.status_code < 500, response.text
