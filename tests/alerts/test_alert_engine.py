"""The alert engine against a real database: storms, hysteresis, lifecycle and restarts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb
from registry_seed import COPD_COLOURS, sample_container
from waiting import wait_for

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import (
    acknowledge,
    apply_signals,
    comment,
    escalate_due,
    get_alert,
    list_alerts,
    resolve,
)
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import (
    CONTAINER_READINGS,
    DEVICE_JOINS,
    DISPENSER_STATUS,
    DISPENSER_USES,
    QUESTIONNAIRE_ANSWERS,
    VITAL_OBSERVATIONS,
)
from tilsyn.platform.patients.questionnaires import save_colours
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def registry(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("C1", "24e1247100000001"))
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        conn.execute(
            "INSERT INTO patient_thresholds (patient_id, kind, green_low, green_high, yellow_low,"
            " yellow_high) VALUES ('P1', 'spo2', 94, NULL, 90, NULL)"
        )
        conn.execute(
            "INSERT INTO duty_roster (role, unit, person, starts_at, ends_at)"
            " VALUES ('home_care', 'Våler', 'nurse.hansen', %s, %s)",
            (NOW - timedelta(hours=4), NOW + timedelta(hours=4)),
        )
        save_colours(conn, COPD_COLOURS, "nurse.hansen", replace=False)
    return database_url


@pytest.fixture
def engine(registry: str) -> Iterator[AlertEngine]:
    engine = AlertEngine(registry, periodic_seconds=3600)
    engine.start()
    yield engine
    engine.stop()


def _fill(at: datetime, fill: float, container: str = "C1", battery: int = 90) -> Accepted:
    row = (at, container, "24e1247100000001", 1000, fill, battery, False, None, 1)
    return Accepted(f"k{at.timestamp()}{fill}", ((CONTAINER_READINGS, (row,)),))


def _vital(at: datetime, kind: str, value: float) -> Accepted:
    row = (at, "P1", kind, value, "%", None, None, "hub-1")
    return Accepted(f"v{at.timestamp()}{kind}", ((VITAL_OBSERVATIONS, (row,)),))


def _answers(at: datetime, questionnaire: str, **answers: str | bool) -> Accepted:
    row = (at, "P1", questionnaire, Jsonb(answers), f"r{at.timestamp()}", "hub-1")
    return Accepted(f"q{at.timestamp()}", ((QUESTIONNAIRE_ANSWERS, (row,)),))


def _alerts(database_url: str, rule: str) -> list[tuple[int, str, int, str | None]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT alert_id, state, occurrences, assignee FROM alerts WHERE rule = %s"
            " ORDER BY alert_id",
            (rule,),
        ).fetchall()


def _alert_columns(database_url: str, rule: str, columns: str) -> tuple[str, str, str] | None:
    """Three text columns of the one alert of `rule`, if there is one."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            sql.SQL("SELECT {} FROM alerts WHERE rule = %s").format(sql.SQL(columns)), (rule,)
        ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def _notifications(database_url: str, alert_id: int) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT event FROM notification_outbox WHERE alert_id = %s ORDER BY id", (alert_id,)
        )
        return [r[0] for r in rows]


def test_a_storm_of_1000_readings_is_one_alert_with_its_count(
    engine: AlertEngine, registry: str
) -> None:
    for i in range(1000):
        engine.observe([_fill(NOW + timedelta(milliseconds=50 * i), 90.0)], time.time())
    wait_for(lambda: (a := _alerts(registry, "full")) and a[0][2] == 1000, timeout=30)
    ((alert_id, state, occurrences, _),) = _alerts(registry, "full")
    assert (state, occurrences) == ("open", 1000)
    assert _notifications(registry, alert_id) == ["raised"]


def _dispenser(at: datetime, refill_percent: int, battery_percent: int = 80) -> Accepted:
    """A dispenser's status report with the uses it counted since the last, as ingest stores it."""
    status = (at, "a84041000000d001", "ward-7", 3, 120, refill_percent, battery_percent)
    uses = tuple((at - timedelta(minutes=m), "ward-7", 3) for m in (1, 2, 3))
    return Accepted(f"d{at.timestamp()}", ((DISPENSER_STATUS, (status,)), (DISPENSER_USES, uses)))


def test_rows_of_tables_without_rules_in_a_commit_are_passed_over(
    engine: AlertEngine, registry: str
) -> None:
    join = Accepted("join", ((DEVICE_JOINS, ((NOW, "24e1247100000001"),)),))
    engine.observe([join, _fill(NOW, 95.0), _dispenser(NOW, refill_percent=3)], time.time())
    wait_for(lambda: _alerts(registry, "dispenser_empty") and _alerts(registry, "full"))
    assert engine.failures == 0


def test_a_dispensers_low_battery_is_an_alert_for_infection_control_until_changed(
    engine: AlertEngine, registry: str
) -> None:
    def battery() -> tuple[str, str, str] | None:
        return _alert_columns(registry, "dispenser_battery", "state, audience, title")

    engine.observe([_dispenser(NOW, refill_percent=70, battery_percent=11)], time.time())
    time.sleep(1.0)
    assert battery() is None, "11 % is not low yet"
    engine.observe([_dispenser(NOW + timedelta(hours=1), 70, battery_percent=9)], time.time())
    wait_for(lambda: battery() is not None)
    assert battery() == (
        "open",
        "infection_control",
        "Dispenser ward-7/3 battery at 9 %: change it on the next round",
    )
    engine.observe([_dispenser(NOW + timedelta(hours=2), 70, battery_percent=12)], time.time())
    time.sleep(1.0)
    assert (battery() or ("",))[0] == "open", "a wavering reading does not clear it"
    engine.observe([_dispenser(NOW + timedelta(hours=3), 70, battery_percent=100)], time.time())
    wait_for(lambda: (battery() or ("",))[0] == "resolved")


def test_a_rule_that_fails_on_one_row_costs_no_other_rows_signals(
    engine: AlertEngine, registry: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Accepted("broken", ((CONTAINER_READINGS, ((NOW, "C1"),)),))  # a row cut short
    with caplog.at_level(logging.ERROR, logger="tilsyn.platform.alerts.engine"):
        engine.observe([broken, _fill(NOW, 95.0)], time.time())  # one commit
        wait_for(lambda: _alerts(registry, "full"))
    assert engine.failures == 1
    assert "could not evaluate the rules on a row of container_readings" in caplog.text


def test_the_engine_outlives_losing_its_database_connection(registry: str) -> None:
    engine = AlertEngine(registry, periodic_seconds=0.2)
    engine.start()
    try:
        time.sleep(0.5)  # a clock-driven round has run on the first connection
        with psycopg.connect(registry) as conn:  # as a database restart would
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(0.5)  # the next round meets the dead connection
        engine.observe([_fill(NOW, 95.0)], time.time())
        wait_for(lambda: _alerts(registry, "full"), timeout=30)
        assert engine.failures == 0
    finally:
        engine.stop()


class _Recorded(NotificationHub):
    """The platform's hub, also keeping what it was told to announce."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Notification] = []

    def announce(self, notifications: Sequence[Notification]) -> None:
        self.heard.extend(notifications)
        super().announce(notifications)


def test_a_connection_lost_right_after_an_alert_is_stored_stops_nothing(
    registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outage falls between storing the alert and reading its notifications back (a
    real disconnect, timed there by wrapping the store): the alert is still announced, and
    the engine takes the next commit (it used to die, and ingest then blocked on its queue)."""
    import tilsyn.platform.alerts.engine as engine_module

    stored_then_cut = {"armed": True}
    apply_signals = engine_module.apply_signals

    def store_then_disconnect(conn: psycopg.Connection, signals: list[object]) -> list[int]:
        outbox = apply_signals(conn, signals)  # type: ignore[arg-type]
        if stored_then_cut.pop("armed", False):
            with psycopg.connect(registry, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        return outbox

    monkeypatch.setattr(engine_module, "apply_signals", store_then_disconnect)
    hub = _Recorded()
    engine = AlertEngine(registry, hub, periodic_seconds=3600)
    engine.start()
    try:
        engine.observe([_fill(NOW, 95.0)], time.time())
        wait_for(lambda: bool(hub.heard), timeout=30)
        engine.observe([_vital(NOW, "spo2", 85.0)], time.time())
        wait_for(lambda: _alerts(registry, "vital:spo2"), timeout=30)
        assert not stored_then_cut, "the disconnect happened"
        assert engine.failures == 0
    finally:
        engine.stop()


def test_full_alert_clears_only_after_emptying_below_the_low_limit(
    engine: AlertEngine, registry: str
) -> None:
    engine.observe([_fill(NOW, 85.0)], time.time())
    wait_for(lambda: _alerts(registry, "full"))
    engine.observe([_fill(NOW + timedelta(hours=1), 60.0)], time.time())
    engine.observe([_fill(NOW + timedelta(hours=2), 50.0)], time.time())
    time.sleep(1.5)
    assert [a[1] for a in _alerts(registry, "full")] == ["open"]
    engine.observe([_fill(NOW + timedelta(hours=3), 12.0)], time.time())
    wait_for(lambda: [a[1] for a in _alerts(registry, "full")] == ["resolved"])
    engine.observe([_fill(NOW + timedelta(hours=30), 88.0)], time.time())
    wait_for(lambda: [a[1] for a in _alerts(registry, "full")] == ["resolved", "open"])


def test_a_nearly_flat_sensor_battery_escalates_from_a_note_to_a_warning(
    engine: AlertEngine, registry: str
) -> None:
    def battery_alert() -> tuple[str, str, str] | None:
        return _alert_columns(registry, "battery_low", "severity, state, title")

    engine.observe([_fill(NOW, 30.0, battery=12)], time.time())
    wait_for(lambda: battery_alert() == ("info", "open", "Sensor battery at 12 %"))
    engine.observe([_fill(NOW + timedelta(hours=4), 31.0, battery=4)], time.time())
    wait_for(lambda: (battery_alert() or ("",))[0] == "warning")
    assert battery_alert() == (
        "warning",
        "open",
        "Sensor battery at 4 %: change it before the sensor goes silent",
    )
    engine.observe([_fill(NOW + timedelta(hours=8), 32.0, battery=100)], time.time())
    wait_for(lambda: (battery_alert() or ("", ""))[1] == "resolved")


def test_red_value_by_the_patients_plan_is_critical_and_assigned_to_the_nurse_on_duty(
    engine: AlertEngine, registry: str
) -> None:
    engine.observe([_vital(NOW, "spo2", 88)], time.time())
    ((alert_id, state, _, assignee),) = wait_for(lambda: _alerts(registry, "vital:spo2"))
    assert state == "open"
    with psycopg.connect(registry) as conn:
        alert = get_alert(conn, alert_id)
    assert (alert.severity, assignee, alert.audience, alert.unit) == (
        "critical",
        "nurse.hansen",
        "home_care",
        "Våler",
    )
    assert "below the yellow limit" in alert.title
    news2 = wait_for(lambda: _alerts(registry, "news2"))
    with psycopg.connect(registry) as conn:
        scored = get_alert(conn, news2[0][0])
    assert "missing" in scored.title and scored.detail["complete"] is False


def test_answers_by_the_questionnaires_colours_raise_an_alert_until_a_green_set(
    engine: AlertEngine, registry: str
) -> None:
    """A yellow answer is a warning to call the patient, a red one later the same alert gone
    critical; the next set of green answers clears it, an older green set does not."""
    engine.observe([_answers(NOW, "copd-daily", breathlessness="worse")], time.time())
    ((alert_id, state, _, assignee),) = wait_for(lambda: _alerts(registry, "answers:copd-daily"))
    with psycopg.connect(registry) as conn:
        alert = get_alert(conn, alert_id)
    assert (state, assignee, alert.severity, alert.audience) == (
        "open",
        "nurse.hansen",
        "warning",
        "home_care",
    )
    assert alert.title == "copd-daily: breathlessness: worse (yellow)"
    later = NOW + timedelta(hours=1)
    engine.observe(
        [_answers(later, "copd-daily", breathlessness="much_worse", feeling_unwell=True)],
        time.time(),
    )
    wait_for(
        lambda: (
            _alert_columns(registry, "answers:copd-daily", "severity, state, title")
            == (
                "critical",
                "open",
                "copd-daily: breathlessness: much worse (red); feeling unwell: yes (yellow)",
            )
        )
    )
    engine.observe([_answers(NOW, "copd-daily", breathlessness="same")], time.time())
    _after_everything_observed(engine, registry)
    assert _state(registry, "answers:copd-daily") == "open", "an older green set says nothing"
    engine.observe(
        [_answers(later + timedelta(days=1), "copd-daily", breathlessness="same")], time.time()
    )
    wait_for(lambda: _state(registry, "answers:copd-daily") == "resolved")
    assert [alert_id] == [a[0] for a in _alerts(registry, "answers:copd-daily")]


def test_answers_to_a_questionnaire_without_colours_raise_nothing(
    engine: AlertEngine, registry: str
) -> None:
    engine.observe([_answers(NOW, "heart-failure-weekly", swollen_ankles=True)], time.time())
    engine.observe([_vital(NOW, "spo2", 88)], time.time())
    wait_for(lambda: _alerts(registry, "vital:spo2"))  # the engine got past the answers
    with psycopg.connect(registry) as conn:
        rules = conn.execute("SELECT rule FROM alerts WHERE rule LIKE 'answers:%'").fetchall()
    assert rules == []


def test_lifecycle_and_history_survive_a_restart(registry: str) -> None:
    engine = AlertEngine(registry, periodic_seconds=3600)
    engine.start()
    engine.observe([_fill(NOW, 95.0)], time.time())
    ((alert_id, *_),) = wait_for(lambda: _alerts(registry, "full"))
    engine.stop()
    with psycopg.connect(registry) as conn:
        acknowledge(conn, alert_id, "operator.olsen", NOW + timedelta(minutes=5))
        comment(conn, alert_id, "operator.olsen", "truck 3 is on its way")
        resolve(conn, alert_id, "operator.olsen", NOW + timedelta(minutes=50), "emptied")
    restarted = AlertEngine(registry, periodic_seconds=3600)
    restarted.start()
    restarted.stop()
    with psycopg.connect(registry) as conn:
        alert = get_alert(conn, alert_id)
    assert [h.event for h in alert.history] == ["raised", "acknowledged", "commented", "resolved"]
    assert (alert.state, alert.acknowledged_by, alert.resolved_by) == (
        "resolved",
        "operator.olsen",
        "operator.olsen",
    )
    assert _notifications(registry, alert_id) == ["raised", "acknowledged", "commented", "resolved"]


def test_unacknowledged_alerts_escalate(engine: AlertEngine, registry: str) -> None:
    """The time to acknowledge counts from when the alert is raised, not from the reading:
    a red value that reached us two hours late still gives the nurse her 15 minutes."""
    engine.observe([_vital(NOW - timedelta(hours=2), "spo2", 85)], time.time())
    ((alert_id, *_),) = wait_for(lambda: _alerts(registry, "vital:spo2"))
    raised = datetime.now(UTC)
    with psycopg.connect(registry) as conn:
        assert escalate_due(conn, raised + timedelta(minutes=5)) == []
        assert len(escalate_due(conn, raised + timedelta(minutes=16))) == 1
        alert = get_alert(conn, alert_id)
    assert alert.escalation_level == 1
    assert alert.history[-1].event == "escalated"


def test_a_temperature_no_patient_has_leaves_news2_and_the_red_spo2_alone(
    engine: AlertEngine, registry: str
) -> None:
    """8 °C from a faulty probe, stored before ingest refused such values: NEWS2 leaves it
    out instead of failing, so the red SpO2 that follows is still an alert."""
    engine.observe([_vital(NOW, "body_temperature", 8.0)], time.time())
    engine.observe([_vital(NOW + timedelta(minutes=1), "spo2", 85.0)], time.time())
    wait_for(lambda: _alerts(registry, "vital:spo2"))
    wait_for(lambda: _alerts(registry, "news2"))
    with psycopg.connect(registry) as conn:
        title, detail = conn.execute(
            "SELECT title, detail FROM alerts WHERE rule = 'news2'"
        ).fetchone() or ("", {})
    assert "temperature" in detail["missing"], title
    assert engine.failures == 0


def test_news2_alerts_use_the_patients_spo2_scale(registry: str) -> None:
    """89 % is 3 points on scale 1 (a low-medium alert) and 0 on a prescribed scale 2."""
    with psycopg.connect(registry) as conn:
        register_patient(conn, PatientIn(patient_id="P2", unit="Våler", spo2_scale=2))
    engine = AlertEngine(registry, periodic_seconds=3600)
    engine.start()
    try:
        for patient in ("P1", "P2"):
            row = (NOW, patient, "spo2", 89.0, "%", None, None, "hub-1")
            engine.observe([Accepted(f"s{patient}", ((VITAL_OBSERVATIONS, (row,)),))], time.time())
        wait_for(lambda: _alerts(registry, "news2"))
        time.sleep(0.5)  # both rows were in the engine's queue together
        with psycopg.connect(registry) as conn:
            flagged = conn.execute("SELECT entity_id FROM alerts WHERE rule = 'news2'").fetchall()
        assert flagged == [("P1",)]
    finally:
        engine.stop()


def test_a_full_container_emptied_within_one_batch_leaves_no_alert_open(
    engine: AlertEngine, registry: str
) -> None:
    """A history replayed at full speed: full at one reading, emptied at the next, both in
    one commit. The clear was dropped as being for an alert not raised yet."""
    engine.observe(
        [_fill(NOW - timedelta(hours=2), 85.0), _fill(NOW - timedelta(hours=1), 5.0)],
        time.time(),
    )
    wait_for(lambda: _alerts(registry, "full"))
    time.sleep(0.5)
    assert [state for _, state, _, _ in _alerts(registry, "full")] == ["resolved"]


def _stored_vital(database_url: str, at: datetime, kind: str, value: float) -> Accepted:
    """A vital as ingest hands it over: stored first, then observed."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', %s, %s, 'x', 'hub-1')",
            (at, kind, value),
        )
    return _vital(at, kind, value)


def _after_everything_observed(engine: AlertEngine, database_url: str) -> None:
    """The engine takes commits in order: once a full container's alert is up, every vital
    observed before it has been evaluated."""
    engine.observe([_fill(NOW, 95.0)], time.time())
    wait_for(lambda: _alerts(database_url, "full"))


def _state(database_url: str, rule: str) -> str:
    ((_, state, _, _),) = _alerts(database_url, rule)
    return state


def test_a_news2_alert_outlives_a_restart_and_is_not_cleared_by_one_normal_reading(
    registry: str,
) -> None:
    engine = AlertEngine(registry, periodic_seconds=3600)
    engine.start()
    worrying = [("spo2", 86.0), ("heart_rate", 135.0), ("body_temperature", 39.5)]
    for kind, value in worrying:
        stored = _stored_vital(registry, NOW - timedelta(minutes=10), kind, value)
        engine.observe([stored], time.time())
    wait_for(lambda: _alert_columns(registry, "news2", "state, severity, title"))
    engine.stop()
    assert _state(registry, "news2") == "open"
    restarted = AlertEngine(registry, periodic_seconds=3600)
    restarted.start()
    try:
        stored = _stored_vital(registry, NOW - timedelta(minutes=2), "body_temperature", 37.0)
        restarted.observe([stored], time.time())
        _after_everything_observed(restarted, registry)
        state, severity, title = _alert_columns(registry, "news2", "state, severity, title") or (
            "",
            "",
            "",
        )
        assert (state, severity) == ("open", "critical"), title
    finally:
        restarted.stop()


def test_a_news2_alert_waits_for_the_worrying_values_to_be_measured_again(
    engine: AlertEngine, registry: str
) -> None:
    """Values that aged out of the 6-hour window are not good news: an unrelated reading
    leaves the alert up; measuring them again within range clears it."""
    seven_hours_ago = NOW - timedelta(hours=7)
    for kind, value in [("spo2", 86.0), ("heart_rate", 135.0), ("body_temperature", 39.5)]:
        engine.observe([_stored_vital(registry, seven_hours_ago, kind, value)], time.time())
    wait_for(lambda: _alerts(registry, "news2"))
    engine.observe([_stored_vital(registry, NOW, "systolic_bp", 130.0)], time.time())
    _after_everything_observed(engine, registry)
    assert _state(registry, "news2") == "open"
    later = NOW + timedelta(minutes=1)
    for kind, value in [("spo2", 97.0), ("heart_rate", 70.0), ("body_temperature", 37.0)]:
        engine.observe([_stored_vital(registry, later, kind, value)], time.time())
    wait_for(lambda: _state(registry, "news2") == "resolved")


def test_a_weight_gain_stays_up_while_the_patient_is_still_over_the_rule(
    engine: AlertEngine, registry: str
) -> None:
    """80.0, then 82.5 a day later, then 82.2: still 2.2 kg up within three days."""
    start = NOW - timedelta(days=2)
    for days, kg in [(0, 80.0), (1, 82.5)]:
        at = start + timedelta(days=days)
        engine.observe([_stored_vital(registry, at, "body_weight", kg)], time.time())
    wait_for(lambda: _alerts(registry, "weight_gain"))
    engine.observe([_stored_vital(registry, NOW, "body_weight", 82.2)], time.time())
    _after_everything_observed(engine, registry)
    assert _state(registry, "weight_gain") == "open"
    engine.observe(
        [_stored_vital(registry, NOW + timedelta(hours=1), "body_weight", 81.0)], time.time()
    )
    wait_for(lambda: _state(registry, "weight_gain") == "resolved")


def test_a_clearing_reading_older_than_the_raising_one_leaves_the_alert_up(
    engine: AlertEngine, registry: str
) -> None:
    """A normal SpO2 from an hour ago arriving late (a hub's backlog) says nothing about now."""
    engine.observe([_vital(NOW, "spo2", 85)], time.time())
    wait_for(lambda: _alerts(registry, "vital:spo2"))
    engine.observe([_vital(NOW - timedelta(hours=1), "spo2", 97)], time.time())
    _after_everything_observed(engine, registry)
    assert _state(registry, "vital:spo2") == "open"
    engine.observe([_vital(NOW + timedelta(minutes=1), "spo2", 97)], time.time())
    wait_for(lambda: _state(registry, "vital:spo2") == "resolved")


def test_an_alert_another_engine_raised_is_cleared_by_this_one(registry: str) -> None:
    """Two ingest workers, each with its engine: the emptying reaches the other one."""
    first = AlertEngine(registry, periodic_seconds=0.2)
    second = AlertEngine(registry, periodic_seconds=0.2)
    first.start()
    second.start()
    try:
        first.observe([_fill(NOW, 95.0)], time.time())
        wait_for(lambda: _alerts(registry, "full"))
        time.sleep(0.6)  # a few of the second engine's clock rounds
        second.observe([_fill(NOW + timedelta(minutes=10), 5.0)], time.time())
        wait_for(lambda: _state(registry, "full") == "resolved")
    finally:
        first.stop()
        second.stop()


def test_a_condition_the_clock_finds_still_true_is_one_occurrence(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("C9", "24e1247100000009"))
        conn.execute("UPDATE containers SET registered_at = now() - interval '1 day'")
    engine = AlertEngine(database_url, periodic_seconds=0.1)
    engine.start()
    try:
        wait_for(lambda: _alerts(database_url, "silent"))
        time.sleep(0.6)  # several more rounds
        ((_, state, occurrences, _),) = _alerts(database_url, "silent")
    finally:
        engine.stop()
    assert (state, occurrences) == ("open", 1)


def _fire(at: datetime) -> Signal:
    """A critical alert for the operator, raised by a reading at `at`."""
    return Signal(
        "container", "C-FIRE", "fire", True, at, "critical", "operator", "", "Fire in C-FIRE", {}
    )


def test_a_critical_alert_is_listed_however_many_newer_warnings_there_are(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        fire = _fire(NOW - timedelta(hours=1))
        silent = [
            Signal(
                "container",
                f"C{n}",
                "silent",
                True,
                NOW,
                "warning",
                "operator",
                "",
                f"C{n} silent",
                {},
            )
            for n in range(250)
        ]
        apply_signals(conn, [fire, *silent])
        listed = list_alerts(conn, ["operator"])
    assert len(listed) == 200
    assert listed[0].entity_id == "C-FIRE"


def test_each_change_announces_the_alert_as_stored_and_is_kept_in_its_history(
    registry: str,
) -> None:
    """Raising, counting and clearing each write the alert, its history and its announcement
    in one statement: the announcement carries the alert as that statement left it (the
    assignee on duty, the count, the resolution), and a count is no news."""
    raised = Signal(
        "patient", "P1", "vital:spo2", True, NOW, "warning", "home_care", "Våler", "SpO2 91", {}
    )
    again = Signal(
        "patient",
        "P1",
        "vital:spo2",
        True,
        NOW + timedelta(minutes=5),
        "warning",
        "home_care",
        "Våler",
        "SpO2 90",
        {},
    )
    cleared = Signal(
        "patient",
        "P1",
        "vital:spo2",
        False,
        NOW + timedelta(minutes=9),
        "warning",
        "home_care",
        "Våler",
        "SpO2 96",
        {},
    )
    with psycopg.connect(registry) as conn:
        announced = [apply_signals(conn, [s]) for s in (raised, again, cleared)]
        payloads = [
            conn.execute(
                "SELECT payload FROM notification_outbox WHERE id = %s", (ids[0],)
            ).fetchone()
            for ids in announced
            if ids
        ]
        (stored,) = conn.execute(
            "SELECT assignee, occurrences, state, resolved_by FROM alerts"
        ).fetchall()
        history = conn.execute(
            "SELECT event, actor, detail FROM alert_history ORDER BY id"
        ).fetchall()
    assert [len(ids) for ids in announced] == [1, 0, 1]
    first, last = (p[0] for p in payloads if p is not None)
    assert (first["event"], first["alert"]["assignee"], first["alert"]["occurrences"]) == (
        "raised",
        "nurse.hansen",
        1,
    )
    assert (last["event"], last["alert"]["state"], last["alert"]["occurrences"]) == (
        "resolved",
        "resolved",
        2,
    )
    assert stored == ("nurse.hansen", 2, "resolved", "rule")
    assert history == [
        ("raised", "rule", {"title": "SpO2 91"}),
        ("resolved", "rule", {"cleared": "SpO2 96"}),
    ]


def test_outbox_ids_become_visible_in_the_order_they_are_given(registry: str) -> None:
    """A stream replays what follows the last id a client saw: a change that took a lower id
    but committed after a higher one would be skipped for good. The second writer waits."""
    with psycopg.connect(registry) as first:
        first.execute("SELECT 1")  # opens a transaction, which holds what it takes
        apply_signals(
            first,
            [Signal("container", "C1", "tilt", True, NOW, "warning", "operator", "", "tilted", {})],
        )
        (alert_id,) = first.execute("SELECT alert_id FROM alerts").fetchone() or (0,)
        (first_id,) = first.execute("SELECT max(id) FROM notification_outbox").fetchone() or (0,)
        taken: list[int] = []

        def second_writer() -> None:
            with psycopg.connect(registry) as second:
                taken.extend(comment(second, alert_id, "operator.olsen", "on my way"))

        writer = threading.Thread(target=second_writer)
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive(), "the second writer waits for the first to commit"
        first.commit()
        writer.join(timeout=10)
    assert taken and taken[0] > first_id


def test_an_alert_raised_with_no_one_on_duty_goes_to_whoever_is_when_it_escalates(
    database_url: str,
) -> None:
    raised = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        fire = _fire(raised)
        apply_signals(conn, [fire])
        found = conn.execute("SELECT alert_id, assignee FROM alerts").fetchone()
        assert found is not None
        alert_id, assignee = found
        assert assignee is None
        conn.execute(
            "INSERT INTO duty_roster (role, unit, person, starts_at, ends_at)"
            " VALUES ('operator', '*', 'operator.olsen', %s, %s)",
            (raised + timedelta(minutes=10), raised + timedelta(hours=8)),
        )
        conn.commit()
        assert len(escalate_due(conn, raised + timedelta(minutes=16))) == 1
        assert get_alert(conn, alert_id).assignee == "operator.olsen"


def _stored_fill(database_url: str, at: datetime, fill: float) -> Accepted:
    """A fill reading as ingest hands it over: stored first, then observed."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
            " VALUES (%s, 'C1', '24e1247100000001', %s)",
            (at, fill),
        )
    return _fill(at, fill)


def test_a_predicted_overflow_outlives_a_restart_as_the_same_alert(registry: str) -> None:
    """Rising 5 %/h at 60 %: full within 8 h. A restarted engine knew no history, so its first
    reading cleared the alert ("no longer expected") and the third raised a new one, its
    acknowledgement lost."""
    engine = AlertEngine(registry, periodic_seconds=3600)
    engine.start()
    start = NOW - timedelta(hours=6)
    for hour, fill in enumerate([45.0, 50.0, 55.0, 60.0]):
        engine.observe([_stored_fill(registry, start + timedelta(hours=hour), fill)], time.time())
    wait_for(lambda: _alerts(registry, "overflow_predicted"))
    engine.stop()
    ((alert_id, _, _, _),) = _alerts(registry, "overflow_predicted")
    with psycopg.connect(registry) as conn:
        acknowledge(conn, alert_id, "operator.olsen", NOW)
    restarted = AlertEngine(registry, periodic_seconds=3600)
    restarted.start()
    try:
        for hour, fill in ((4, 65.0), (5, 70.0)):
            stored = _stored_fill(registry, start + timedelta(hours=hour), fill)
            restarted.observe([stored], time.time())
        _after_everything_observed(restarted, registry)
    finally:
        restarted.stop()
    assert [(a[0], a[1]) for a in _alerts(registry, "overflow_predicted")] == [
        (alert_id, "acknowledged")
    ]


def test_a_container_emptied_to_a_residue_above_the_low_limit_is_no_longer_full(
    engine: AlertEngine, registry: str
) -> None:
    """86 % to 24 %: emptied for the forecast and the planner, so for the alert too."""
    engine.observe([_fill(NOW, 86.0)], time.time())
    wait_for(lambda: _alerts(registry, "full"))
    engine.observe([_fill(NOW + timedelta(hours=1), 24.0)], time.time())
    wait_for(lambda: [a[1] for a in _alerts(registry, "full")] == ["resolved"])


def test_a_late_fill_reading_neither_raises_nor_clears(engine: AlertEngine, registry: str) -> None:
    """Emptied at 08:00; a backlog then brings 07:00's 90 %: the container is not full."""
    engine.observe([_fill(NOW - timedelta(hours=2), 50.0)], time.time())
    engine.observe([_fill(NOW, 5.0)], time.time())
    engine.observe([_fill(NOW - timedelta(hours=1), 90.0)], time.time())
    engine.observe([_fill(NOW, 95.0, container="MARKER")], time.time())  # observed in order
    wait_for(lambda: _alerts(registry, "full"))
    with psycopg.connect(registry) as conn:
        full = conn.execute("SELECT entity_id FROM alerts WHERE rule = 'full'").fetchall()
    assert full == [("MARKER",)]
