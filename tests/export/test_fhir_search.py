"""FHIR Observation search over the stored rows: patient, code and date parameters, and limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from fhir.resources.R4B.bundle import Bundle

from tilsyn.platform.export.fhir import observations_from_rows, searchset_bundle
from tilsyn.platform.export.fhir_dates import date_range, period
from tilsyn.platform.export.fhir_search import read_vital, search_vitals, stored_kinds

DAY = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def database_url(module_database_url: str) -> str:
    """Two patients' measurements over three days, P1's blood pressure as panels."""
    rows = []
    for day in range(3):
        at = DAY + timedelta(days=day, hours=8)
        rows += [
            (at, "P1", "systolic_bp", 130.0 + day, "mm[Hg]", f"bp-{day}"),
            (at, "P1", "diastolic_bp", 80.0 + day, "mm[Hg]", f"bp-{day}"),
            (at, "P1", "heart_rate", 70.0 + day, "/min", None),
            (at, "P1", "spo2", 96.0 - day, "%", None),
            (at, "P2", "heart_rate", 90.0, "/min", None),
        ]
    with psycopg.connect(module_database_url) as connection:
        connection.cursor().executemany(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, observation_id,"
            " device_id, hub_id) VALUES (%s, %s, %s, %s, %s, %s, 'dev-1', 'hub-1')",
            rows,
        )
    return module_database_url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as connection:
        yield connection


def kinds_and_days(conn: psycopg.Connection, **search: object) -> list[tuple[str, int]]:
    docs = observations_from_rows(search_vitals(conn, "P1", **search).rows)  # type: ignore[arg-type]
    return [
        (doc["code"]["coding"][0]["code"], datetime.fromisoformat(doc["effectiveDateTime"]).day)
        for doc in docs
    ]


def test_the_patients_measurements_newest_first_in_a_valid_bundle(
    conn: psycopg.Connection,
) -> None:
    rows = search_vitals(conn, "P1").rows
    assert {row.patient_id for row in rows} == {"P1"}
    resources = observations_from_rows(rows)
    assert len(resources) == 9  # three days of a panel, a pulse and a saturation
    Bundle.model_validate(searchset_bundle(resources, "http://x/fhir", "http://x/fhir/Observation"))
    days = [datetime.fromisoformat(doc["effectiveDateTime"]) for doc in resources]
    assert days == sorted(days, reverse=True)


def test_codes_select_kinds_with_or_without_their_system(conn: psycopg.Connection) -> None:
    assert {code for code, _ in kinds_and_days(conn, codes=["8867-4"])} == {"8867-4"}
    panels = kinds_and_days(conn, codes=["http://loinc.org|85354-9,8867-4"])
    assert sorted({code for code, _ in panels}) == ["85354-9", "8867-4"]
    assert len(panels) == 6
    assert kinds_and_days(conn, codes=["http://snomed.info/sct|8867-4"]) == []
    assert kinds_and_days(conn, codes=["1234-5"]) == []


def test_dates_bound_the_range_inclusively(conn: psycopg.Connection) -> None:
    ge, le = date_range(["ge2026-03-03", "le2026-03-03"])
    found = kinds_and_days(conn, date_ge=ge, date_le=le)
    assert {day for _, day in found} == {3}
    assert len(found) == 3


def test_count_counts_measurements_and_keeps_panels_whole(conn: psycopg.Connection) -> None:
    rows = search_vitals(conn, "P1", codes=["85354-9"], count=2).rows
    assert len(rows) == 4
    docs = observations_from_rows(rows)
    assert [len(doc["component"]) for doc in docs] == [2, 2]
    assert [datetime.fromisoformat(d["effectiveDateTime"]).day for d in docs] == [4, 3]
    with pytest.raises(ValueError, match="count"):
        search_vitals(conn, "P1", count=0)


def test_each_observation_can_be_read_back_by_its_id(conn: psycopg.Connection) -> None:
    resources = observations_from_rows(search_vitals(conn, "P1").rows)
    for resource in resources:
        assert observations_from_rows(read_vital(conn, resource["id"])) == [resource]
    known = resources[0]["id"]
    other_digest = known[:-6] + ("000000" if not known.endswith("000000") else "111111")
    for unknown in (other_digest, "vs-1-" + "0" * 24, "obs-1", "vs-" + "f" * 15 + "-" + "0" * 24):
        assert read_vital(conn, unknown) == []


def test_repeated_code_parameters_must_all_match() -> None:
    assert stored_kinds(["59408-5", "2708-6"]) == {"spo2"}  # both codes of one Observation
    assert stored_kinds(["8867-4", "59408-5"]) == set()
    assert stored_kinds(["85354-9"]) == {"systolic_bp", "diastolic_bp"}
    assert "heart_rate" in stored_kinds([])
    with pytest.raises(ValueError, match="names no code"):
        stored_kinds(["http://loinc.org|"])


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-12", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-02-28", datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        (
            "2026-03-02T10:15Z",
            datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
            datetime(2026, 3, 2, 10, 16, tzinfo=UTC),
        ),
        (
            "2026-03-02T10:15:30+01:00",
            datetime(2026, 3, 2, 9, 15, 30, tzinfo=UTC),
            datetime(2026, 3, 2, 9, 15, 31, tzinfo=UTC),
        ),
        (
            "2026-03-02T10:15:30.25Z",
            datetime(2026, 3, 2, 10, 15, 30, 250000, tzinfo=UTC),
            datetime(2026, 3, 2, 10, 15, 30, 250001, tzinfo=UTC),
        ),
    ],
)
def test_a_date_stands_for_the_period_of_its_precision(
    value: str, start: datetime, end: datetime
) -> None:
    assert period(value) == (start, end)


def test_prefixes_include_or_exclude_the_period() -> None:
    day_end = datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC)
    assert date_range(["2026-03-02"]) == (DAY, day_end)
    assert date_range(["gt2026-03-01", "lt2026-03-03"]) == (DAY, day_end)
    assert date_range(["ge2026-03-01", "ge2026-03-02", "le2026-03-04", "le2026-03-02"]) == (
        DAY,
        day_end,
    )
    assert date_range([]) == (None, None)


def test_a_date_without_a_zone_is_read_in_the_zone_given() -> None:
    oslo_winter = timezone(timedelta(hours=1))
    start, _ = date_range(["ge2026-03-02"], default_zone=oslo_winter)
    assert start == DAY - timedelta(hours=1)


@pytest.mark.parametrize("bad", ["sa2026-01-01", "2026-13", "yesterday", "2026-1-1", ""])
def test_unreadable_dates_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        date_range([bad])


@pytest.mark.parametrize(
    "edge", ["9999-12", "9999-12-31", "gt9999-12-31T23:59:59Z", "lt0001-01-01"]
)
def test_dates_at_the_edge_of_the_calendar_are_refused_not_a_crash(edge: str) -> None:
    with pytest.raises(ValueError, match="edge of the calendar"):
        date_range([edge])
