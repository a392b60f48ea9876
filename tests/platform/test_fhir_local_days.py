"""FHIR `date` search: a date without a zone is a day in the service's zone (Europe/Oslo), a
dateTime with an offset keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.export.fhir_dates import date_range
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

OSLO = ZoneInfo("Europe/Oslo")
WINTER = timezone(timedelta(hours=1))
SUMMER = timezone(timedelta(hours=2))
READINGS = {
    "jan10-early": datetime(2025, 1, 10, 0, 30, tzinfo=WINTER),  # 9 January in UTC
    "jan11-early": datetime(2025, 1, 11, 0, 30, tzinfo=WINTER),  # 10 January in UTC
    "jul10-early": datetime(2025, 7, 10, 1, 30, tzinfo=SUMMER),  # 9 July in UTC
    "mar30-late": datetime(2025, 3, 30, 23, 30, tzinfo=SUMMER),  # a 23-hour day
    "mar31-early": datetime(2025, 3, 31, 0, 10, tzinfo=SUMMER),
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        for reading, at in READINGS.items():
            conn.execute(
                "INSERT INTO vital_observations (time, patient_id, kind, value, unit,"
                " observation_id, hub_id) VALUES (%s, 'P1', 'heart_rate', 70, '/min', %s, 'h')",
                (at, reading),
            )
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def _found(client: TestClient, headers: dict[str, str], *dates: str) -> list[str]:
    response = client.get(
        "/fhir/Observation", params={"patient": "P1", "date": list(dates)}, headers=headers
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    return sorted(entry["resource"]["identifier"][0]["value"] for entry in bundle["entry"])


def test_a_date_is_a_day_in_norway(client: TestClient, sign_in: SignIn) -> None:
    nurse = sign_in("home_care_nurse")
    assert _found(client, nurse, "2025-01-10") == ["jan10-early"]
    assert _found(client, nurse, "2025-01-11") == ["jan11-early"]
    assert _found(client, nurse, "2025-07-10") == ["jul10-early"]
    assert _found(client, nurse, "2025-07") == ["jul10-early"]
    assert _found(client, nurse, "ge2025-01-10", "lt2025-01-11") == ["jan10-early"]
    assert _found(client, nurse, "2025-03-30") == ["mar30-late"]


def test_a_date_time_with_an_offset_keeps_it(client: TestClient, sign_in: SignIn) -> None:
    nurse = sign_in("home_care_nurse")
    utc_day = ["ge2025-01-10T00:00:00Z", "lt2025-01-11T00:00:00Z"]
    assert _found(client, nurse, *utc_day) == ["jan11-early"]
    assert _found(client, nurse, "ge2025-01-10T00:00:00+01:00", "le2025-01-10T23:59:59+01:00") == [
        "jan10-early"
    ]
    assert _found(client, nurse, "2025-07-09T23:30Z") == ["jul10-early"]


def test_a_local_day_when_the_clocks_change_is_23_or_25_hours_long() -> None:
    micro = timedelta(microseconds=1)
    assert date_range(["2025-03-30"], OSLO) == (
        datetime(2025, 3, 29, 23, tzinfo=UTC),
        datetime(2025, 3, 30, 22, tzinfo=UTC) - micro,
    )
    assert date_range(["2025-10-26"], OSLO) == (
        datetime(2025, 10, 25, 22, tzinfo=UTC),
        datetime(2025, 10, 26, 23, tzinfo=UTC) - micro,
    )
    # 02:59 summer time is 00:59 UTC; the minute after it starts at 01:00 UTC (02:00 winter
    # time), not at 03:00 on the wall clock.
    after, _ = date_range(["gt2025-10-26T02:59"], OSLO)
    assert after == datetime(2025, 10, 26, 1, 0, tzinfo=UTC)
