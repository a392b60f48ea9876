"""Uplinks that are well-formed but odd: a time without its UTC offset, a time in the future,
a probe that read nothing. Each is handled on purpose and nothing else is lost with it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from direct_ingest import store
from live_ingest import live_ingest
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.mqtt import Message
from tilsyn.platform.alerts.rules_containers import ContainerLimits, ContainerRules
from tilsyn.platform.containers.store import get_state, register_container
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS
from tilsyn.platform.ingest.writer import write_one_by_one

pytestmark = pytest.mark.integration
MILESIGHT = "24e124710000cafe"
DRAGINO = "a840410001020304"
FORTY_PERCENT = "0175640382d007"  # 2000 mm in a 3000 / 500 mm container
NINETY_SIX_PERCENT = "01756403825802"  # 600 mm


def _without_offset(f_cnt: int) -> tuple[str, bytes]:
    topic, body = chirpstack_uplink(MILESIGHT, FORTY_PERCENT, f_cnt=f_cnt)
    event = json.loads(body)
    event["time"] = "2026-11-23T10:00:00"  # UTC? local? the network server did not say
    return topic, json.dumps(event).encode()


def _count(database_url: str, query: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def containers(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("M1", MILESIGHT))
        register_container(conn, sample_container("D1", DRAGINO, codec="dragino-ldds75"))
    return database_url


def test_a_time_without_its_offset_is_dead_lettered_and_the_rest_stored(containers: str) -> None:
    result = store(
        containers,
        chirpstack_uplink(MILESIGHT, FORTY_PERCENT, f_cnt=1),
        _without_offset(2),
    )
    assert (result.stored, result.dead_letters) == (1, 1)
    with psycopg.connect(containers) as conn:
        (reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
    assert reason.startswith("not a ChirpStack v4 uplink: time: ")
    assert "timezone" in reason


def test_ingest_goes_on_after_a_time_without_its_offset(containers: str, mqtt_url: str) -> None:
    """The writer thread used to die on it: nothing after it was stored, and the frame, never
    acknowledged, came back after each restart."""
    with live_ingest(containers, mqtt_url) as (_, publisher):
        publisher.publish(*_without_offset(1), qos=1)
        for f_cnt in range(2, 7):
            publisher.publish(*chirpstack_uplink(MILESIGHT, FORTY_PERCENT, f_cnt=f_cnt), qos=1)
        wait_for(lambda: _count(containers, "SELECT count(*) FROM container_readings") == 5)
        assert _count(containers, "SELECT count(*) FROM dead_letters") == 1


def test_a_row_the_copy_cannot_send_is_dead_lettered_with_why(containers: str) -> None:
    """Whatever else slips through to the binary copy: kept, with the reason, not lost."""
    naive = datetime(2026, 11, 23, 10)
    row = (naive, "M1", MILESIGHT, 2000, 40.0, 100, False, None, 1)
    odd = Accepted("odd", ((CONTAINER_READINGS, (row,)),))
    message = Message("application/x/device/24e124710000cafe/event/up", b"{}", 1, 0, time.time())
    with psycopg.connect(containers) as conn:
        result = write_one_by_one(conn, [message], [odd])
        (reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
    assert result.dead_letters == 1
    assert reason.startswith("could not store the message: ")


def test_an_uplink_stamped_in_the_future_takes_its_arrival_time(containers: str) -> None:
    """A network server with a wrong clock: its time would make this the container's latest
    reading for a year, and hide every true one behind it."""
    now = datetime.now(UTC)
    ahead = chirpstack_uplink(MILESIGHT, FORTY_PERCENT, f_cnt=1, time=now + timedelta(days=365))
    assert store(containers, ahead).stored == 1
    later = chirpstack_uplink(
        MILESIGHT, NINETY_SIX_PERCENT, f_cnt=2, time=now + timedelta(minutes=1)
    )
    assert store(containers, later).stored == 1
    with psycopg.connect(containers) as conn:
        state = get_state(conn, "M1")
    assert state is not None and state.fill_percent == 96.0
    assert state.time is not None and state.time < now + timedelta(minutes=2)


def test_an_old_network_time_is_kept(containers: str) -> None:
    """What a network server forwards after an outage is old, and true."""
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    assert store(containers, chirpstack_uplink(MILESIGHT, FORTY_PERCENT, time=yesterday)).stored
    with psycopg.connect(containers) as conn:
        state = get_state(conn, "M1")
    assert state is not None and state.time == yesterday


def test_a_probe_that_read_nothing_is_no_fill(containers: str) -> None:
    """Dragino LDDS75 with no valid distance (0 mm, flagged invalid): not a full container
    that sends a truck, not an emptying that resets the forecast."""
    measured = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    read = chirpstack_uplink(DRAGINO, "0D480B0500010501", f_port=2, time=measured)
    assert store(containers, read).stored
    nothing = store(containers, chirpstack_uplink(DRAGINO, "0D48000000010500", f_cnt=2, f_port=2))
    assert nothing.stored == 1
    with psycopg.connect(containers) as conn:
        rows = conn.execute(
            "SELECT distance_mm, fill_percent, battery_percent FROM container_readings"
            " ORDER BY time"
        ).fetchall()
        state = get_state(conn, "D1")
    assert rows[-1][:2] == (None, None) and rows[-1][2] is not None, "battery kept"
    assert state is not None and state.fill_percent == rows[0][1], "the last true fill stands"
    assert state.fill_at == measured and state.time is not None and state.time > measured
    ((_, (row,)),) = nothing.fresh[0].rows
    signals = ContainerRules().evaluate(row, ContainerLimits())
    assert not [s for s in signals if s.active and s.rule == "full"]
