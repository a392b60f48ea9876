"""Badge events are matched in one place, however many ingest workers share the stream: a
badge's rub and the bed entry it served may reach different workers of a share group. The
role passes on when its holder ends; a restart, a database outage or a lost commit answer in
the middle neither loses nor doubles a count."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import psycopg
import pytest
from direct_ingest import match_badges, store
from fix_db import create_database, drop_database
from live_ingest import share_group
from waiting import wait_for

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.ingest.hygiene_matcher import HygieneMatcher
from tilsyn.platform.registry.scenarios import register_hospital
from tilsyn.sim import Simulation, load_scenario
from tilsyn.sim.emission import Emission

pytestmark = pytest.mark.integration

Uplink = tuple[str, bytes]
# Simulated seconds per second when the morning is sent over MQTT: two workers a second
# apart are then ten simulated minutes apart, within the matcher's lateness (15 min).
PACE = 600


@pytest.fixture(scope="module")
def ward_morning() -> tuple[list[Emission], datetime]:
    """Three morning hours of a two-ward hospital's badges and dispensers, and their end."""
    scenario = load_scenario("ward", 2)
    sim = Simulation(scenario)
    start = scenario.default_start + timedelta(hours=7)
    emissions = sim.run(start=start, duration=timedelta(hours=3))
    return [e for e in emissions if e.topic.endswith("/up")], sim.now


def _uplinks(emissions: list[Emission]) -> list[Uplink]:
    return [(e.topic, e.payload) for e in emissions]


def _registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_hospital(conn, load_scenario("ward", 2))
    return database_url


@pytest.fixture(scope="module")
def one_worker_counts(
    postgres_server: str, migrated_template: str, ward_morning: tuple[list[Emission], datetime]
) -> Iterator[list[tuple[object, ...]]]:
    """The ward day's counts as one ingest worker makes them, in a database of its own."""
    name = f"tilsyn_one_worker_{uuid.uuid4().hex[:8]}"
    url = _registered(create_database(postgres_server, name, template=migrated_template))
    uplinks, end = _uplinks(ward_morning[0]), ward_morning[1]
    matcher = HygieneMatcher(url)
    store(url, *uplinks, matcher=matcher)
    match_badges(url, matcher, now=end + timedelta(days=1))
    matcher.close()
    yield _counts(url)
    drop_database(postgres_server, name)


def _counts(database_url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT ward_id, zone_type, day, role, sum(opportunities)::int, sum(met)::int"
            " FROM hygiene_compliance_counts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).fetchall()


def _inbox_and_keys(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM hygiene_inbox),"
            " (SELECT count(*) FROM ingest_keys WHERE key NOT LIKE 'fc:%')"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_two_ingest_workers_count_a_ward_morning_as_one_worker_does(
    database_url: str,
    mosquitto_url: str,
    ward_morning: tuple[list[Emission], datetime],
    one_worker_counts: list[tuple[object, ...]],
) -> None:
    emissions, end = ward_morning
    _registered(database_url)
    # The test holds the matcher's role first, so that its clock, not the wall clock,
    # decides the simulated day's badges; the workers' matchers stand by.
    matcher = HygieneMatcher(database_url)
    assert matcher.match()
    workers = share_group(database_url, mosquitto_url)
    for worker in workers:
        worker.start()
    publisher = MqttConnection(mosquitto_url, f"network-server-{uuid.uuid4().hex[:8]}")
    publisher.connect()
    try:
        started, next_match = time.monotonic(), 0.0
        for emission in emissions:
            due = started + (emission.at - emissions[0].at).total_seconds() / PACE
            time.sleep(max(0.0, due - time.monotonic()))
            publisher.publish(emission.topic, emission.payload, qos=1)
            if time.monotonic() >= next_match:  # what a worker holding the role does
                matcher.match()
                next_match = time.monotonic() + 1.0

        def all_matched() -> bool:
            matcher.match()
            return _inbox_and_keys(database_url) == (0, len(emissions))

        wait_for(all_matched, timeout=60, interval=0.5)
        # Each message reached one worker, and each worker some.
        assert sum(worker.stats.received for worker in workers) == len(emissions)
        assert all(worker.stats.stored > 0 for worker in workers)
        assert not any(worker.hygiene_matcher.matching for worker in workers)
        assert matcher.match(now=end + timedelta(days=1))
        assert _counts(database_url) == one_worker_counts
        assert sum(int(str(row[4])) for row in one_worker_counts) > 100
        # When the matcher ends, one worker takes the role over.
        matcher.close()
        wait_for(lambda: sum(worker.hygiene_matcher.matching for worker in workers) == 1)
    finally:
        publisher.close()
        for worker in workers:
            worker.stop()
        matcher.close()


def test_the_role_passes_on_and_what_the_holder_never_took_is_counted(
    database_url: str, ward_morning: tuple[list[Emission], datetime]
) -> None:
    uplinks = _uplinks(ward_morning[0])
    _registered(database_url)
    first, second = HygieneMatcher(database_url), HygieneMatcher(database_url)
    try:
        assert first.match()
        store(database_url, *uplinks[:200], matcher=first)
        assert not second.match() and _inbox_and_keys(database_url)[0] == 0
        first.close()
        store(database_url, *uplinks[200:400], matcher=second)
        assert second.matching and _inbox_and_keys(database_url)[0] == 0
        assert not first.match()
    finally:
        first.close()
        second.close()


def test_a_database_outage_midway_loses_and_doubles_nothing(
    database_url: str,
    ward_morning: tuple[list[Emission], datetime],
    one_worker_counts: list[tuple[object, ...]],
) -> None:
    uplinks, end = _uplinks(ward_morning[0]), ward_morning[1]
    _registered(database_url)
    matcher = HygieneMatcher(database_url)
    half = len(uplinks) // 2
    try:
        store(database_url, *uplinks[:half], matcher=matcher)
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(psycopg.OperationalError):
            store(database_url, *uplinks[half:], matcher=matcher)
        assert not matcher.matching
        # The rows stored before the error wait in the inbox; nobody held the role meanwhile,
        # so the matcher goes on with the events it holds.
        assert matcher.match(now=end + timedelta(days=1))
        assert _counts(database_url) == one_worker_counts
    finally:
        matcher.close()


def test_a_commit_whose_answer_was_lost_is_not_stored_twice(
    database_url: str,
    ward_morning: tuple[list[Emission], datetime],
    one_worker_counts: list[tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uplinks, end = _uplinks(ward_morning[0]), ward_morning[1]
    _registered(database_url)
    with HygieneMatcher(database_url) as matcher:
        store_decided = matcher._store

        def commit_then_lose_the_answer(conn: psycopg.Connection, decided: object) -> None:
            store_decided(conn, decided)  # type: ignore[arg-type]
            conn.close()
            raise psycopg.OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(matcher, "_store", commit_then_lose_the_answer)
        with pytest.raises(psycopg.OperationalError):
            store(database_url, *uplinks, matcher=matcher)
        monkeypatch.undo()
        assert _inbox_and_keys(database_url) == (0, len(uplinks)), "the commit landed"
        assert matcher.match(now=end + timedelta(days=1))
    assert _counts(database_url) == one_worker_counts


def test_a_restart_midway_loses_nothing_held_back(
    database_url: str,
    ward_morning: tuple[list[Emission], datetime],
    one_worker_counts: list[tuple[object, ...]],
) -> None:
    """What the matcher held back for late messages (the last 15 minutes of every badge) is
    stored with the counts: the next holder goes on from it."""
    uplinks, end = _uplinks(ward_morning[0]), ward_morning[1]
    _registered(database_url)
    half = len(uplinks) // 2
    with HygieneMatcher(database_url) as before_the_restart:
        store(database_url, *uplinks[:half], matcher=before_the_restart)
    with psycopg.connect(database_url) as conn:
        held = conn.execute(
            "SELECT count(*) FROM hygiene_badge_state"
            " WHERE jsonb_array_length(state -> 'timeline' -> 'events') > 0"
        ).fetchone()
    assert held is not None and held[0] > 0
    with HygieneMatcher(database_url) as after_the_restart:
        store(database_url, *uplinks[half:], matcher=after_the_restart)
        assert after_the_restart.match(now=end + timedelta(days=1))
    assert _counts(database_url) == one_worker_counts


def _dropped(database_url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT ward_id, day, reason, zone_type, sum(events)::int"
            " FROM hygiene_dropped_counts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).fetchall()


def _state_versions(database_url: str) -> dict[tuple[str, str], str]:
    """Each stored badge state's row version: it changes when the row is written again."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT dev_eui, ward_id, xmin::text FROM hygiene_badge_state")
        return {(row[0], row[1]): row[2] for row in rows}


def test_a_tick_that_changes_no_badge_writes_none(
    database_url: str, ward_morning: tuple[list[Emission], datetime]
) -> None:
    emissions = ward_morning[0]
    _registered(database_url)
    half = len(emissions) // 2
    quiet_since = emissions[half - 1].at + timedelta(minutes=30)
    with HygieneMatcher(database_url) as matcher:
        store(database_url, *_uplinks(emissions[:half]), matcher=matcher)
        assert matcher.match(now=quiet_since)
        versions = _state_versions(database_url)
        assert len(versions) > 5
        assert matcher.match(now=quiet_since)  # the same clock again: nothing to decide
        assert _state_versions(database_url) == versions
        assert matcher.match(now=quiet_since + timedelta(seconds=1))
        assert _state_versions(database_url) == versions
    with psycopg.connect(database_url) as conn:
        clock = conn.execute("SELECT ticked_at FROM hygiene_matcher_clock").fetchone()
    assert clock == (int((quiet_since + timedelta(seconds=1)).timestamp()),)


def test_a_restart_after_ticks_judges_late_messages_as_without_it(
    postgres_server: str, migrated_template: str, ward_morning: tuple[list[Emission], datetime]
) -> None:
    """A tick that changes a badge only in how far it has decided does not write it; the next
    holder of the role replays the stored tick, so a message that came too late before the
    restart comes too late after it (and is shown beside the rates, not counted)."""
    run = partial(_counts_and_dropped, postgres_server, migrated_template, ward_morning)
    without = run(restart=False)
    late = sum(int(str(row[4])) for row in without[1] if row[2] == "late")
    assert late > 0
    assert run(restart=True) == without


def test_a_badge_first_seen_after_the_last_tick_is_not_ticked_on_a_restart(
    postgres_server: str, migrated_template: str, ward_morning: tuple[list[Emission], datetime]
) -> None:
    """The stored tick is replayed only on badges that were there when it ran: one first seen
    after it keeps its own clock, and nothing it holds is decided early (or lost)."""
    run = partial(_counts_and_dropped, postgres_server, migrated_template, ward_morning)
    assert run(restart=True, tick_first=True) == run(restart=False, tick_first=True)


def _counts_and_dropped(
    postgres_server: str,
    migrated_template: str,
    ward_morning: tuple[list[Emission], datetime],
    restart: bool,
    tick_first: bool = False,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The morning's counts and dropped events: the first half, two ticks (after it, or with
    `tick_first` before any badge is seen), a restart if asked, the second half."""
    emissions, end = ward_morning
    half = len(emissions) // 2
    # Ten minutes past the first tick, a second one decides nothing more, only how far the
    # clock has decided; the second half's first events then come late.
    first_tick = emissions[half - 1].at + timedelta(minutes=20)
    name = f"tilsyn_restart_{uuid.uuid4().hex[:8]}"
    url = _registered(create_database(postgres_server, name, template=migrated_template))
    try:
        matcher = HygieneMatcher(url)
        if not tick_first:
            store(url, *_uplinks(emissions[:half]), matcher=matcher)
        assert matcher.match(now=first_tick)
        assert matcher.match(now=first_tick + timedelta(minutes=10))
        if tick_first:
            store(url, *_uplinks(emissions[:half]), matcher=matcher)
        if restart:
            matcher.close()
            matcher = HygieneMatcher(url)
        store(url, *_uplinks(emissions[half:]), matcher=matcher)
        assert matcher.match(now=end + timedelta(days=1))
        matcher.close()
        return _counts(url), _dropped(url)
    finally:
        drop_database(postgres_server, name)
