"""Resuming the night plan stream: the event id names the shift, since revisions count per
shift; a client that last saw another shift's plan gets tonight's at once. A stream stays on
one shift, and ends when the nurse's shift is over or another one is hers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from fix_server import LiveServer
from night_seed import nurse, task
from sse import plan_events

from tilsyn.platform.api.app import create_app
from tilsyn.platform.api.routes import night as night_routes
from tilsyn.platform.auth.store import User, create_user, start_session
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_store as store

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
EAST = (56.1393, 9.02)


def first_plan(url: str, headers: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
    """(id, plan) of the first plan event, or None if none comes within a few seconds."""
    try:
        with (
            httpx.Client(base_url=url, timeout=3) as client,
            client.stream("GET", "/api/night/stream", headers=headers) as response,
        ):
            return next(plan_events(response), None)
    except httpx.ReadTimeout:
        return None
    return None


def test_a_resume_from_last_nights_stream_gets_tonights_plan(database_url: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        last_night = store.create_shift(
            conn, "last night", now - timedelta(hours=30), now - timedelta(hours=21), [nurse("ane")]
        )
        conn.execute("UPDATE night_shifts SET revision = 40 WHERE shift_id = %s", (last_night,))
        tonight = store.create_shift(
            conn, "tonight", now - timedelta(hours=1), now + timedelta(hours=8), [nurse("ane")]
        )
        store.add_task(conn, tonight, task("T1", "Birk", 60, "Insulin", EAST))
        create_user(conn, "ane", "night_nurse", "not used in this test")
        token = start_session(conn, User("ane", "", "night_nurse"))
    ane = {"Authorization": f"Bearer {token}"}
    with LiveServer(create_app(database_url, settings=QUICK)) as server:
        resumed = first_plan(server.url, {**ane, "Last-Event-ID": f"{last_night}:40"})
        assert resumed is not None, "tonight's plan is sent at once"
        event_id, shown = resumed
        assert shown["shift_id"] == tonight and event_id == f"{tonight}:{shown['revision']}"
        up_to_date = first_plan(server.url, {**ane, "Last-Event-ID": event_id})
    assert up_to_date is None, "nothing new since: nothing sent until the plan changes"


def stream_ends(url: str, headers: dict[str, str], then: Callable[[], None]) -> bool:
    """Whether the stream, once it has sent its first plan and `then` has run, ends within
    ten seconds (rather than staying open on the shift it began with)."""
    with (
        httpx.Client(base_url=url, timeout=10) as client,
        client.stream("GET", "/api/night/stream", headers=headers) as response,
    ):
        events = plan_events(response)
        next(events)
        then()
        try:
            for _ in events:
                pass
        except httpx.ReadTimeout:
            return False
    return True


def test_a_stream_ends_when_the_nurses_next_shift_is_planned(database_url: str) -> None:
    """Her phone stayed open from one shift into the next: when the next shift is planned, the
    stream ends, so the phone's reconnect gets that shift instead of staying on the old one."""
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        ending = shift_of_ane_ending_soon(conn, now)
        ane = headers_of(conn, "ane")
        bo = headers_of(conn, "bo")

    def next_shift_begins() -> None:
        with psycopg.connect(database_url) as conn:
            end_shift(conn, ending, now - timedelta(hours=3))
            following = store.create_shift(
                conn, "next", now, now + timedelta(hours=9), [nurse("ane"), nurse("bo")]
            )
            store.add_task(conn, following, task("T2", "Lind", 30, "Insulin", EAST))
        httpx.get(f"{server.url}/api/night/plan", headers=bo).raise_for_status()

    with LiveServer(create_app(database_url, settings=QUICK)) as server:
        assert stream_ends(server.url, ane, next_shift_begins), "still on the ended shift"
        resumed = first_plan(server.url, ane)
    assert resumed is not None and resumed[1]["shift_id"] != ending


def test_a_stream_ends_when_the_shift_is_over(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No change comes once a shift is over; the stream's next keep-alive ends it, and the
    reconnect answers 404, which clears the phone."""
    monkeypatch.setattr(night_routes, "KEEPALIVE_S", 0.5)
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        shift_id = shift_of_ane_ending_soon(conn, now)
        ane = headers_of(conn, "ane")

    def shift_over() -> None:
        with psycopg.connect(database_url) as conn:
            end_shift(conn, shift_id, now - timedelta(minutes=1))

    with LiveServer(create_app(database_url, settings=QUICK)) as server:
        assert stream_ends(server.url, ane, shift_over), "still open on a shift that is over"
        assert httpx.get(f"{server.url}/api/night/stream", headers=ane).status_code == 404


def headers_of(conn: psycopg.Connection, username: str) -> dict[str, str]:
    create_user(conn, username, "night_nurse", "not used in this test")
    token = start_session(conn, User(username, "", "night_nurse"))
    return {"Authorization": f"Bearer {token}"}


def shift_of_ane_ending_soon(conn: psycopg.Connection, now: datetime) -> int:
    """Ane's shift, nine hours in and an hour to go, with one task."""
    shift_id = store.create_shift(
        conn, "ending", now - timedelta(hours=9), now + timedelta(hours=1), [nurse("ane")]
    )
    store.add_task(conn, shift_id, task("T1", "Birk", 30, "Insulin", EAST))
    return shift_id


def end_shift(conn: psycopg.Connection, shift_id: int, at: datetime) -> None:
    conn.execute("UPDATE night_shifts SET ends_at = %s WHERE shift_id = %s", (at, shift_id))
