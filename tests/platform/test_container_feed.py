"""The operator's live fill stream: what ingest commits reaches an open stream as one batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from direct_ingest import store
from fix_auth import SignIn
from live_map import map_server, open_map
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.platform.containers.feed import ContainerFeed
from tilsyn.platform.containers.store import register_container

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, ContainerFeed]]:
    with psycopg.connect(database_url) as conn:
        for number in (1, 2):
            register_container(
                conn,
                sample_container(
                    f"F{number}", f"24e124713b00000{number}", longitude=8.9 + number / 100
                ),
            )
    with map_server(database_url) as served_map:
        yield served_map


def test_a_stored_reading_reaches_the_open_fill_stream_with_the_new_state(
    served: tuple[str, ContainerFeed], database_url: str, sign_in: SignIn
) -> None:
    url, feed = served
    events = open_map(url, sign_in("operator"), feed)
    result = store(database_url, chirpstack_uplink("24e124713b000001", VECTOR))
    feed.observe(result.fresh, 0.0)
    wait_for(lambda: events, timeout=10)
    ((name, batch),) = events
    assert name == "fill"
    assert isinstance(batch, list)
    assert [state["container_id"] for state in batch] == ["F1"], "only what changed is sent"
    assert batch[0]["distance_mm"] == 2116
    assert batch[0]["fill_percent"] == pytest.approx(35.4)  # (3000 - 2116) / 2500, 0.1 %


def test_the_fill_stream_is_for_the_roles_that_read_containers(
    served: tuple[str, ContainerFeed], sign_in: SignIn
) -> None:
    url, _ = served
    for role in ("night_nurse", "home_care_nurse", "infection_control"):
        response = httpx.get(f"{url}/api/containers/stream", headers=sign_in(role), timeout=5)
        assert response.status_code == 403, role
    assert httpx.get(f"{url}/api/containers/stream", timeout=5).status_code == 401


def test_a_report_without_a_distance_keeps_the_time_of_the_last_fill(database_url: str) -> None:
    """A battery-only report is newer than the last fill; the planner must not take that fill
    for a new one (it would forecast the container emptier than it is)."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("F9", "24e124713b000009"))
    measured = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    battery_only = measured + timedelta(hours=5)
    eui = "24e124713b000009"
    store(database_url, chirpstack_uplink(eui, VECTOR, f_cnt=1, time=measured))
    store(database_url, chirpstack_uplink(eui, "017564", f_cnt=2, time=battery_only))
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT time, fill_at, fill_percent IS NOT NULL, battery_percent"
            " FROM container_latest WHERE container_id = 'F9'"
        ).fetchone()
    assert row == (battery_only, measured, True, 100)
