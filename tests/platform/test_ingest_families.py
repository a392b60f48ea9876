"""Ingest of dispensers and home hubs: the right rows, whole messages, nothing half-stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from lorawan import chirpstack_uplink
from registry_seed import hub_message, register_medical_3
from waiting import wait_for

from tilsyn.codecs import encode
from tilsyn.codecs.fhir import build_observation, build_questionnaire_response
from tilsyn.platform.api.app import create_app
from tilsyn.platform.db.listener import ChangeListener
from tilsyn.platform.ingest.hygiene_matcher import HygieneMatcher, SiteNotices
from tilsyn.platform.ingest.writer import BatchResult
from tilsyn.platform.registry.models import (
    BadgeIn,
    DispenserIn,
    HubIn,
    PatientIn,
)
from tilsyn.platform.registry.store import (
    register_badge,
    register_dispenser,
    register_hub,
    register_patient,
)

pytestmark = pytest.mark.integration

DISPENSER_EUI = "70b3d57ed0001a01"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_medical_3(conn, DISPENSER_EUI)
        for patient in ("P-1", "P-2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-17", unit="Våler", patient_ids=["P-1"]))
    return database_url


def _ingest(database_url: str, *messages: tuple[str, bytes]) -> BatchResult:
    return store(database_url, *messages)


def _dispenser_uplink(device_time: datetime) -> tuple[str, bytes]:
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "dispenser_status",
            "time": int(device_time.timestamp()),
            "use_count": 1234,
            "refill_percent": 18,
            "battery_percent": 77,
            "uses": [30, 95],
        },
    )
    return chirpstack_uplink(DISPENSER_EUI, payload.hex(), time=NOW, f_port=10)


def _hub_message(message_id: str, *entries: dict[str, object]) -> tuple[str, bytes]:
    return hub_message("hub-17", message_id, NOW, *entries)


def test_dispenser_status_and_uses_are_stored(registered: str) -> None:
    result = _ingest(registered, _dispenser_uplink(NOW - timedelta(minutes=2)))
    assert (result.stored, result.rows) == (1, 3)
    with psycopg.connect(registered) as conn:
        status = conn.execute(
            "SELECT ward_id, dispenser_id, use_count, refill_percent,"
            " battery_percent FROM dispenser_status"
        ).fetchall()
        uses = conn.execute("SELECT time FROM dispenser_uses ORDER BY time").fetchall()
    assert status == [("M3", 7, 1234, 18, 77)]
    base = NOW - timedelta(minutes=2)
    assert [u[0] for u in uses] == [base + timedelta(seconds=30), base + timedelta(seconds=95)]


def test_a_device_clock_far_off_is_replaced_by_the_network_time(registered: str) -> None:
    _ingest(registered, _dispenser_uplink(NOW - timedelta(days=3)))
    with psycopg.connect(registered) as conn:
        (stored,) = conn.execute("SELECT time FROM dispenser_status").fetchone() or (None,)
        uses = [u[0] for u in conn.execute("SELECT time FROM dispenser_uses ORDER BY time")]
    assert stored == NOW
    assert uses == [NOW - timedelta(seconds=65), NOW], "the last use at the arrival"


def test_a_window_as_long_as_the_reporting_interval_keeps_its_times(registered: str) -> None:
    """The status carries its window's start: 15 minutes before it is sent is no clock
    fault (the uses were moved 15 minutes into the future)."""
    start = NOW - timedelta(minutes=15)
    _ingest(registered, _dispenser_uplink(start))
    with psycopg.connect(registered) as conn:
        (status,) = conn.execute("SELECT time FROM dispenser_status").fetchone() or (None,)
        uses = [u[0] for u in conn.execute("SELECT time FROM dispenser_uses ORDER BY time")]
    assert uses == [start + timedelta(seconds=30), start + timedelta(seconds=95)]
    assert status == NOW, "counters read when the report was sent"


def test_hub_message_stores_vitals_and_answers(registered: str) -> None:
    message = _hub_message(
        "m-1",
        build_observation("P-1", "blood_pressure", (142, 91), NOW, observation_id="o-1"),
        build_observation("P-1", "spo2", 93, NOW, observation_id="o-2"),
        build_questionnaire_response("P-1", "copd-daily", {"breathless": True}, NOW),
    )
    result = _ingest(registered, message, message)  # the second copy is a redelivery
    assert (result.stored, result.duplicates, result.rows) == (1, 1, 4)
    with psycopg.connect(registered) as conn:
        vitals = conn.execute("SELECT kind, value, unit FROM vital_observations ORDER BY kind")
        answers = conn.execute("SELECT questionnaire, answers FROM questionnaire_answers")
        assert vitals.fetchall() == [
            ("diastolic_bp", 91.0, "mm[Hg]"),
            ("spo2", 93.0, "%"),
            ("systolic_bp", 142.0, "mm[Hg]"),
        ]
        assert answers.fetchall() == [("copd-daily", {"breathless": True})]


def test_a_hub_messages_bad_entries_are_set_aside_and_the_rest_stored(registered: str) -> None:
    """An entry for a patient the hub does not serve, or one that is not a measurement, must
    not hold back the same message's low SpO2; a message with nothing storable is set aside
    whole, and a redelivery sets nothing aside twice."""
    low_spo2 = build_observation("P-1", "spo2", 86, NOW)
    pulse = build_observation("P-1", "heart_rate", 71, NOW)
    not_a_measurement = {"resourceType": "Observation", "status": "final"}
    stranger = _hub_message("m-2", low_spo2, build_observation("P-2", "heart_rate", 80, NOW))
    broken = _hub_message("m-3", pulse, not_a_measurement)
    nothing_storable = _hub_message("m-5", not_a_measurement)
    unknown_hub = (
        "tilsyn/edge/hub-99/up",
        _hub_message("m-4", pulse)[1].replace(b'"hub-17"', b'"hub-99"'),
    )
    result = _ingest(registered, stranger, broken, nothing_storable, unknown_hub)
    assert (result.stored, result.quarantined, result.dead_letters) == (2, 2, 2)
    again = _ingest(registered, stranger)
    assert (again.stored, again.duplicates, again.quarantined) == (0, 1, 0)
    with psycopg.connect(registered) as conn:
        reasons = [r[0] for r in conn.execute("SELECT reason FROM quarantine ORDER BY id")]
        dead = [r[0] for r in conn.execute("SELECT reason FROM dead_letters ORDER BY id")]
        stored = conn.execute(
            "SELECT patient_id, kind, value FROM vital_observations ORDER BY kind"
        ).fetchall()
    assert stored == [("P-1", "heart_rate", 71.0), ("P-1", "spo2", 86.0)]
    rest = "(the message's other entries are stored)"
    assert sorted(reasons) == [
        f"entry 1: patient P-2 is not registered for hub hub-17 {rest}",
        "unknown hub hub-99",
    ]
    (whole,) = [d for d in dead if rest not in d]
    (part,) = [d for d in dead if rest in d]
    assert whole.startswith("entry 0:") and part.startswith("entry 1:")


def _series_message(
    message_id: str, kind: str, unit: str, values: list[float]
) -> tuple[str, bytes]:
    start = NOW.timestamp()
    body = {
        "messageId": message_id,
        "hubId": "hub-17",
        "sentAt": NOW.isoformat(),
        "series": [
            {
                "patientId": "P-1",
                "kind": kind,
                "unit": unit,
                "points": [[start + i, v] for i, v in enumerate(values)],
            }
        ],
    }
    return "tilsyn/edge/hub-17/up", json.dumps(body).encode()


def test_a_series_block_stores_every_point(registered: str) -> None:
    result = _ingest(registered, _series_message("s-1", "spo2", "%", [97, 96, 95.5, 94]))
    assert (result.stored, result.rows) == (1, 4)
    with psycopg.connect(registered) as conn:
        rows = conn.execute("SELECT time, value FROM vital_observations ORDER BY time").fetchall()
    assert [r[1] for r in rows] == [97, 96, 95.5, 94]
    assert rows[1][0] - rows[0][0] == timedelta(seconds=1)


@pytest.mark.parametrize(
    ("kind", "unit", "values", "reason"),
    [
        ("spo2", "%", [97, 101], "outside"),
        ("spo2", "mmol/L", [97], "expected '%'"),
        ("mood", "%", [1], "unknown kind"),
    ],
)
def test_an_impossible_series_goes_to_dead_letters(
    registered: str, kind: str, unit: str, values: list[float], reason: str
) -> None:
    result = _ingest(registered, _series_message("s-2", kind, unit, values))
    assert result.dead_letters == 1
    with psycopg.connect(registered) as conn:
        (stored_reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
    assert stored_reason.startswith("series 0:")
    assert reason in stored_reason


BADGE_EUI = "70b3d57ed0001b01"


def _badge_uplink(
    base: datetime, events: list[dict[str, object]], f_cnt: int, sent: datetime | None = None
) -> tuple[str, bytes]:
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "badge_events",
            "time": int(base.timestamp()),
            "role": "nurse",
            "events": events,
        },
    )
    return chirpstack_uplink(BADGE_EUI, payload.hex(), time=sent or base, f_port=11, f_cnt=f_cnt)


VISIT = [
    {"offset_s": 0, "event": "dispense", "zone": "patient_zone", "ref": 7},
    {"offset_s": 10, "event": "entry", "zone": "patient_zone", "ref": 11},
    {"offset_s": 300, "event": "exit", "zone": "patient_zone", "ref": 11},
]
LATER_ENTRY = [{"offset_s": 0, "event": "entry", "zone": "patient_zone", "ref": 11}]


def _daily_counts(database_url: str) -> list[tuple[str, str, str, int, int]]:
    """Summed over the days: a visit two hours ago may have crossed local midnight."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT ward_id, zone_type, role, sum(opportunities)::int, sum(met)::int"
            " FROM hygiene_compliance_daily GROUP BY 1, 2, 3"
        ).fetchall()


def test_a_badge_clock_a_year_ahead_does_not_hide_its_later_events(registered: str) -> None:
    """After a battery change the badge stamps one message a year ahead: taken at its
    arrival, it does not make every later event of the badge look late."""
    with psycopg.connect(registered) as conn:
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    arrival = NOW - timedelta(hours=2)
    rub = [{"offset_s": 0, "event": "dispense", "zone": "patient_zone", "ref": 7}]
    jumped = _badge_uplink(arrival + timedelta(days=365), rub, 1, sent=arrival)
    base = arrival + timedelta(minutes=5)
    result = _ingest(
        registered,
        jumped,
        _badge_uplink(base, VISIT, 2),
        _badge_uplink(base + timedelta(minutes=40), LATER_ENTRY, 3),
    )
    assert result.stored == 3
    assert _daily_counts(registered) == [("M3", "patient_zone", "nurse", 2, 1)]


def test_a_dispenser_registered_while_ingest_runs_meets_opportunities(registered: str) -> None:
    """A bedside dispenser added to a ward whose badges are already being counted (by another
    process: the matcher hears of it by the database's notice, migration 0041): a rub at it
    meets the entry it precedes from the matcher's next round, not a minute later."""
    with psycopg.connect(registered) as conn:
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    with HygieneMatcher(registered) as running:
        listener = ChangeListener(registered, [SiteNotices(running)])
        listener.start()
        assert listener.listening.wait(10)
        base = NOW - timedelta(hours=2)
        early = [{"offset_s": 0, "event": "entry", "zone": "patient_zone", "ref": 11}]
        exit_ = [{"offset_s": 600, "event": "exit", "zone": "patient_zone", "ref": 11}]
        store(registered, _badge_uplink(base, early + exit_, 1), matcher=running)
        with psycopg.connect(registered) as conn:
            register_dispenser(
                conn,
                DispenserIn(
                    dev_eui="70b3d57ed0001a02",
                    ward_id="M3",
                    dispenser_id=8,
                    zone_id=11,
                    room_id="301",
                ),
            )
        try:
            wait_for(lambda: running.sites_outdated, timeout=10)
        finally:
            listener.stop()
        bedside = [dict(event, ref=8) if event["event"] == "dispense" else event for event in VISIT]
        later = base + timedelta(minutes=30)
        store(registered, _badge_uplink(later, bedside, 2), matcher=running)
        store(
            registered,
            _badge_uplink(later + timedelta(minutes=40), LATER_ENTRY, 3),
            matcher=running,
        )
        # Two missed before the dispenser; of the visit after it, the entry met by the new one.
        assert _daily_counts(registered) == [("M3", "patient_zone", "nurse", 4, 1)]


def test_a_frame_stored_before_is_not_counted_again(registered: str) -> None:
    """A frame replayed after a restart of ingest, or one reusing a frame counter, is kept out
    of the matcher's inbox by the writer: it neither counts again nor replaces the visit it
    collided with."""
    with psycopg.connect(registered) as conn:
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    base = NOW - timedelta(hours=2)
    with HygieneMatcher(registered) as running:
        store(registered, _badge_uplink(base, VISIT, 1), matcher=running)
        missed = [{"offset_s": 10, "event": "entry", "zone": "patient_zone", "ref": 11}]
        collided = store(
            registered, _badge_uplink(base + timedelta(minutes=20), missed, 1), matcher=running
        )
        store(
            registered, _badge_uplink(base + timedelta(minutes=40), LATER_ENTRY, 2), matcher=running
        )
        counted = _daily_counts(registered)
    assert collided.dead_letters == 1 and counted == [("M3", "patient_zone", "nurse", 2, 1)]
    with HygieneMatcher(registered) as restarted:
        replayed = store(registered, _badge_uplink(base, VISIT, 1), matcher=restarted)
        store(
            registered,
            _badge_uplink(base + timedelta(minutes=80), LATER_ENTRY, 3),
            matcher=restarted,
        )
    assert replayed.dead_letters == 1
    # The replayed visit adds nothing; the entry at +40 min, held back across the restart,
    # is decided (missed) by the message after it.
    assert _daily_counts(registered) == [("M3", "patient_zone", "nurse", 3, 1)]


def test_a_frame_counter_seen_twice_in_one_batch_is_counted_once(registered: str) -> None:
    """A redelivery, or a frame reusing a counter, can arrive before the first is stored (both
    in one batch): the writer claims each key once, so only the first reaches the matcher."""
    with psycopg.connect(registered) as conn:
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    base = NOW - timedelta(hours=2)
    visit = _badge_uplink(base, VISIT, 1)
    missed = [{"offset_s": 10, "event": "entry", "zone": "patient_zone", "ref": 11}]
    collided = _badge_uplink(base + timedelta(minutes=20), missed, 1)
    later = _badge_uplink(base + timedelta(minutes=40), LATER_ENTRY, 2)
    result = _ingest(registered, visit, visit, collided, later)
    assert result.stored == 2 and result.dead_letters == 1
    assert _daily_counts(registered) == [("M3", "patient_zone", "nurse", 2, 1)]


def test_badge_events_become_anonymous_compliance_counts(registered: str) -> None:
    with psycopg.connect(registered) as conn:
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    base = NOW - timedelta(hours=2)
    result = _ingest(
        registered,
        _badge_uplink(base, VISIT, 1),
        _badge_uplink(base + timedelta(minutes=40), LATER_ENTRY, 2),
    )
    assert result.stored == 2
    daily = _daily_counts(registered)
    with psycopg.connect(registered) as conn:
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'hygiene_compliance_counts'"
            )
        }
    # Entry met by the rub just before it, exit missed; the later entry is not decided yet.
    assert daily == [("M3", "patient_zone", "nurse", 2, 1)]
    assert not columns & {"dev_eui", "badge", "device_id", "staff_id"}


def test_hub_health_reports_are_stored_and_shown(registered: str, sign_in: SignIn) -> None:
    report = {
        "hubId": "hub-17",
        "sentAt": NOW.isoformat(),
        "queueDepth": 5000,
        "queueBytes": 2_000_000,
        "oldestQueuedAt": None,
        "lastContact": None,
        "dropped": {"total": 120, "byReason": {"queue_full": 120}},
        "devices": [{"deviceId": "oximeter-1", "kind": "spo2", "batteryPercent": 14}],
        "clockBehindS": 3600.0,
    }
    body = json.dumps(report).encode()
    result = _ingest(
        registered, ("tilsyn/edge/hub-17/health", body), ("tilsyn/edge/hub-17/health", body)
    )
    assert (result.stored, result.duplicates) == (1, 1)
    with TestClient(create_app(registered)) as client:
        shown = client.get("/api/hubs/health", headers=sign_in("home_care_nurse")).json()
        refused = client.get("/api/hubs/health", headers=sign_in("operator"))
    assert shown[0]["dropped_by_reason"] == {"queue_full": 120}
    assert shown[0]["queue_depth"] == 5000
    assert shown[0]["clock_behind_s"] == 3600.0, "the hub's clock runs an hour behind"
    assert refused.status_code == 403
