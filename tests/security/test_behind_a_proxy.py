"""Behind the municipality's TLS proxy: the client's own address counts for the sign-in limit,
and the session cookie is Secure, when the proxy is one the platform trusts; a forwarded
header from anyone else is ignored."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fix_server import LiveServer

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import create_user
from tilsyn.platform.config import Settings

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


def _via_proxy(client_address: str) -> dict[str, str]:
    return {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"}


def _sign_in(url: str, name: str, password: str, client_address: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/login",
        json={"username": name, "password": password},
        headers=_via_proxy(client_address),
    )


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-proxy", "unknown-sender"])
def test_the_client_behind_the_proxy_is_who_counts(database_url: str, trusted: bool) -> None:
    name = f"ops.{'trusted' if trusted else 'unknown'}"
    with psycopg.connect(database_url) as conn:
        create_user(conn, name, "operator", PASSWORD)
    settings = Settings(http_trusted_proxies="127.0.0.1" if trusted else "192.0.2.1")
    with LiveServer(create_app(database_url, settings=settings), settings) as server:
        guesses = [_sign_in(server.url, name, "nope", "203.0.113.7") for _ in range(5)]
        assert [g.status_code for g in guesses] == [401] * 5
        nurse_elsewhere = _sign_in(server.url, name, PASSWORD, "203.0.113.8")
    if trusted:
        # Another client: not locked out by the guesses; her cookie only travels over TLS.
        assert nurse_elsewhere.status_code == 200, nurse_elsewhere.text
        assert "secure" in nurse_elsewhere.headers["set-cookie"].lower()
    else:
        # The headers are not believed: every request comes from the same address.
        assert nurse_elsewhere.status_code == 429
