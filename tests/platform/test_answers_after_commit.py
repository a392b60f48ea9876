"""An answer goes out after what the request changed is committed: a client that signs in
and asks at once must find its session, one that saves and reads back must read what it saved.
Over a real server: the test client waits for the whole request, a browser does not."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fix_server import LiveServer

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import create_user

pytestmark = pytest.mark.integration
PASSWORD = "long enough password"


def test_the_first_request_after_sign_in_finds_the_session(database_url: str) -> None:
    """The commit is made slow on purpose (a deferred trigger sleeps at commit): committed
    after the answer, as it was, the next request came first and found no session."""
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.dahl", "operator", PASSWORD)
        conn.execute(
            """CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END $$"""
        )
        conn.execute(
            "CREATE CONSTRAINT TRIGGER slow_sessions AFTER INSERT ON sessions"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()"
        )
    credentials = {"username": "ops.dahl", "password": PASSWORD}
    with LiveServer(create_app(database_url)) as server:
        client = httpx.Client(base_url=server.url)
        for _ in range(3):
            signed = client.post("/api/auth/token", json=credentials)
            assert signed.status_code == 200, signed.text
            bearer = {"Authorization": f"Bearer {signed.json()['token']}"}
            me = client.get("/api/auth/me", headers=bearer)
            assert me.status_code == 200, "the session was not stored yet"
        client.close()
