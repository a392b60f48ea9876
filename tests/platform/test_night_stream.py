"""Resuming the night plan stream: the event id names the shift, since revisions count per
shift; a client that last saw another shift's plan gets tonight's at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from fix_server import LiveServer
from night_seed import nurse, task
from sse import plan_events

from tilsyn.platform.api.app import create_app
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
