"""The compose file's TLS proxy, as configured (platform/web/Caddyfile), run with a real Caddy in
front of a real platform: browsers get the pages over TLS only, the session cookie is Secure
(the platform believes the proxy), and a live stream passes through as it comes."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fix_server import LiveServer
from waiting import wait_for

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import create_user
from tilsyn.ports import free_port

pytestmark = pytest.mark.integration
CADDYFILE = Path(__file__).resolve().parents[2] / "platform" / "web" / "Caddyfile"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Proxy:
    https_url: str
    http_url: str
    ca_file: Path

    def trust(self) -> ssl.SSLContext:
        """Only Caddy's own CA, as a browser told to trust it would."""
        return ssl.create_default_context(cafile=str(self.ca_file))


@pytest.fixture
def proxied(database_url: str, tmp_path: Path) -> Iterator[Proxy]:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy not installed (make proxy installs Debian's)")
    https_port, http_port = free_port(), free_port()
    with LiveServer(create_app(database_url)) as platform:
        environment = {
            **os.environ,
            "XDG_DATA_HOME": str(tmp_path / "data"),  # Caddy's own CA and certificates
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "TILSYN_SITE_ADDRESS": "localhost",
            "TILSYN_PROXY_HTTPS_PORT": str(https_port),
            "TILSYN_PROXY_HTTP_PORT": str(http_port),
            "TILSYN_PLATFORM_ADDRESS": f"127.0.0.1:{platform.port}",
        }
        command = [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        log = (tmp_path / "caddy.log").open("w")
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
        proxy = Proxy(
            f"https://localhost:{https_port}",
            f"http://localhost:{http_port}",
            tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
        )
        try:
            wait_for(lambda: _answers(proxy), timeout=30)
            yield proxy
        finally:
            process.terminate()  # Caddy's grace period for open streams is 5 s
            try:
                process.wait(timeout=15)
            finally:
                process.kill()
                process.wait()
                log.close()


def _answers(proxy: Proxy) -> bool:
    if not proxy.ca_file.exists():  # Caddy has not made its CA yet
        return False
    try:
        return httpx.get(f"{proxy.https_url}/healthz", verify=proxy.trust()).is_success
    except httpx.TransportError:
        return False


def test_the_pages_are_served_over_tls_and_plain_http_is_sent_there(proxied: Proxy) -> None:
    page = httpx.get(f"{proxied.https_url}/", verify=proxied.trust())
    assert page.status_code == 200
    assert page.headers["strict-transport-security"].startswith("max-age=")
    plain = httpx.get(f"{proxied.http_url}/api/patients", follow_redirects=False)
    assert plain.status_code in (301, 308)
    # To the site's own port, 443 in production (here the test's port stands in for it).
    assert plain.headers["location"] == "https://localhost/api/patients"


def test_the_session_cookie_is_secure_behind_the_proxy(database_url: str, proxied: Proxy) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.tls", "operator", PASSWORD)
    signed_in = httpx.post(
        f"{proxied.https_url}/api/auth/login",
        json={"username": "ops.tls", "password": PASSWORD},
        verify=proxied.trust(),
    )
    assert signed_in.status_code == 200, signed_in.text
    assert "secure" in signed_in.headers["set-cookie"].lower()


def test_a_live_stream_passes_through_as_it_comes(database_url: str, proxied: Proxy) -> None:
    """The alert stream's first line is sent at once; a proxy that buffers (or compresses)
    would hold it back until the stream ends, and the screens would stand still."""
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.stream", "operator", PASSWORD)
    with httpx.Client(base_url=proxied.https_url, verify=proxied.trust()) as client:
        assert client.post(
            "/api/auth/login", json={"username": "ops.stream", "password": PASSWORD}
        ).is_success
        with client.stream("GET", "/api/alerts/stream", timeout=5.0) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert next(stream.iter_lines()) == "retry: 2000"
