"""Webhooks: signed bodies, retries while the receiver is down, and delivery after a restart.

Receivers listen on this machine's network address, not on loopback, which no delivery may
reach. Made-up names (`receiver.test`) lead where a test says through the dispatcher's
resolver, as a DNS server the test controlled would answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.broker.tls import create_tls_material
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.alerts.webhook_urls import Address, check_webhook_url
from tilsyn.platform.alerts.webhooks import Resolve, WebhookDispatcher
from tilsyn.platform.api.app import create_app
from tilsyn.ports import free_port

pytestmark = pytest.mark.integration
SECRET = "s3cret-for-tests"


@pytest.fixture(scope="module")
def outward() -> str:
    """This machine's address on its network, where a receiver may listen."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # sends nothing; picks the outgoing interface
        except OSError:
            pytest.skip("this machine has no network address besides loopback")
        address: str = probe.getsockname()[0]
    if ip_address(address).is_loopback or ip_address(address).is_link_local:
        pytest.skip(f"this machine's only network address is {address}")
    return address


def names(table: dict[str, list[str]]) -> Resolve:
    """A resolver for made-up names; the test may change what they lead to."""

    async def resolve(host: str) -> list[Address]:
        return [ip_address(address) for address in table[host]]

    return resolve


class Receiver:
    """A webhook endpoint on this machine that records what it is sent (and over TLS, the
    server names clients asked for)."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            # Over TLS the connection stays open after an answer: a client that pooled it
            # would send its next request over it, whatever name that request is for.
            protocol_version = "HTTP/1.1" if tls is not None else "HTTP/1.0"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = HTTPServer((host, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _deliveries(database_url: str) -> list[tuple[int, str | None, bool]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT attempts, last_error, delivered_at IS NOT NULL FROM webhook_deliveries"
        ).fetchall()


def test_a_pending_notification_is_delivered_signed_after_a_restart(
    database_url: str, outward: str
) -> None:
    port = free_port(outward)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, %s)",
            (f"http://{outward}:{port}/hook", SECRET, ["operator"]),
        )
        apply_signals(
            conn,
            [
                Signal(
                    "container",
                    "C1",
                    "fire",
                    True,
                    datetime.now(UTC),
                    "critical",
                    "operator",
                    "",
                    "Possible fire in C1",
                )
            ],
        )
        with WebhookDispatcher(database_url) as dispatcher:
            assert dispatcher.deliver_due(conn) == 0  # nobody listens yet
    ((attempts, error, delivered),) = _deliveries(database_url)
    assert (attempts, delivered) == (1, False) and error is not None
    with psycopg.connect(database_url) as conn:  # the platform restarts; the retry comes due
        conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
    with (
        Receiver(outward, port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
    assert _deliveries(database_url) == [(2, None, True)]
    headers, body = receiver.received[0]
    signed = headers["X-Tilsyn-Timestamp"].encode() + b"." + body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Tilsyn-Signature"] == f"sha256={expected}"
    assert json.loads(body)["alert"]["rule"] == "fire"


def test_webhooks_only_get_their_audiences(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " ('http://127.0.0.1:9/a', 'x', '{home_care}')"
        )
        apply_signals(conn, [Signal("container", "C2", "tilt", True, datetime.now(UTC))])
    assert _deliveries(database_url) == []


def _red_spo2(conn: psycopg.Connection) -> None:
    signal = Signal(
        "patient",
        "P1",
        "vital:spo2",
        True,
        datetime.now(UTC),
        "critical",
        "home_care",
        "Våler",
        "SpO2 86 % for P1",
        {"kind": "spo2", "value": 86},
    )
    apply_signals(conn, [signal])


def test_an_alert_about_a_patient_goes_out_without_the_patient(
    database_url: str, outward: str
) -> None:
    """Webhooks are set up by an admin, who may not read patient data: the receiver learns
    that something happened, where and how urgent, and fetches the rest with its own rights."""
    port = free_port(outward)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, %s)",
            (f"http://{outward}:{port}/hook", SECRET, ["home_care"]),
        )
        _red_spo2(conn)
    with (
        Receiver(outward, port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
    ((_, body),) = receiver.received
    alert = json.loads(body)["alert"]
    assert alert["severity"] == "critical" and alert["unit"] == "Våler" and alert["alert_id"]
    assert not {"entity_id", "title", "detail"} & alert.keys()
    # Neither the patient nor the value anywhere, compared as values: the body's times may
    # hold the digits 86 by chance.
    assert "P1" not in body.decode()
    assert 86 not in _values(json.loads(body)) and "86" not in _values(json.loads(body))


def _values(document: object) -> list[object]:
    """Every scalar in a JSON document, at any depth."""
    if isinstance(document, dict):
        return [v for value in document.values() for v in _values(value)]
    if isinstance(document, list):
        return [v for value in document for v in _values(value)]
    return [document]


def test_a_broken_webhook_url_costs_only_its_own_deliveries(
    database_url: str, outward: str
) -> None:
    """A URL stored before the API checked them, which httpx cannot send to: an attempt that
    failed, with why; the other webhook is delivered once, and the dispatcher goes on."""
    port = free_port(outward)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " ('http://[::1', 'x', '{home_care}'), (%s, %s, '{home_care}')",
            (f"http://{outward}:{port}/hook", SECRET),
        )
        _red_spo2(conn)
    with (
        Receiver(outward, port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
        outcome = conn.execute(
            "SELECT w.url, d.attempts, d.last_error, d.delivered_at IS NOT NULL"
            " FROM webhook_deliveries d JOIN webhooks w USING (webhook_id) ORDER BY webhook_id"
        ).fetchall()
    assert len(receiver.received) == 1
    (broken, good) = outcome
    assert broken[0] == "http://[::1" and broken[1] == 1 and "InvalidURL" in broken[2]
    assert good[1:] == (1, None, True)


class TricklingReceiver:
    """Answers every request with its status line one byte at a time, each byte well within
    a read timeout: only a deadline on the whole attempt cuts it off."""

    def __init__(self, host: str, port: int, seconds_per_byte: float = 0.25) -> None:
        self._listener = socket.create_server((host, port))
        self._seconds_per_byte = seconds_per_byte
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\n\r\n" * 10:
                if self._stop.wait(self._seconds_per_byte):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the dispatcher hung up: what the test wants

    def __enter__(self) -> TricklingReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout(
    database_url: str, outward: str
) -> None:
    """Its status line would take a minute; the attempt fails after the timeout, with why,
    and is retried later like any other failure."""
    port = free_port(outward)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, '{home_care}')",
            (f"http://{outward}:{port}/hook", SECRET),
        )
        _red_spo2(conn)
    with (
        TricklingReceiver(outward, port),
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url, timeout=1.0) as dispatcher,
    ):
        started = time.monotonic()
        assert dispatcher.deliver_due(conn) == 0
        took = time.monotonic() - started
    assert _deliveries(database_url) == [(1, "no answer within 1 s", False)]
    assert took < 20, f"the attempt took {took:.0f} s; the answer trickles for about 60 s"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:5432/", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://localhost:8000/api/admin/users", "own machine"),
        ("http://127.1:5432/", "leads to 127.0.0.1"),
        ("http://2130706433/", "leads to 127.0.0.1"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data", "169.254.169.254"),
        ("http://[::ffff:127.0.0.1]:8000/", "127.0.0.1"),
        ("http://[::1", "not a URL"),
        ("http://" + "a" * 300 + ".example/", "DNS"),
        ("ftp://example.org/", "http:// or https://"),
    ],
)
def test_a_webhook_may_not_point_where_no_receiver_lives(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_webhook_url(url)


def test_a_webhook_may_point_at_the_municipalitys_own_network() -> None:
    for url in ("https://hooks.example.org/tilsyn", "http://10.20.0.5:8080/alerts"):
        assert check_webhook_url(url) == url


def test_a_receiver_that_never_answers_holds_up_nobody_else(
    database_url: str, sign_in: SignIn, outward: str
) -> None:
    """Five alerts for two receivers, one of which accepts connections and never answers:
    it costs one timeout, its other notifications wait for its retry, the healthy receiver
    gets all five at once, and the admin sees what is failing and since when."""
    healthy_port = free_port(outward)
    silent = socket.create_server((outward, 0))  # listens, never accepts or answers
    silent_url = f"http://{outward}:{silent.getsockname()[1]}/hook"
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " (%s, 'x', '{operator}'), (%s, %s, '{operator}')",
            (silent_url, f"http://{outward}:{healthy_port}/hook", SECRET),
        )
        now = datetime.now(UTC)
        apply_signals(
            conn,
            [
                Signal("container", f"C{i}", "fire", True, now, "critical", "operator", "", "Fire")
                for i in range(5)
            ],
        )
    with (
        silent,
        Receiver(outward, healthy_port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url, timeout=1.0) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 5
        attempts = dict(
            conn.execute(
                "SELECT w.url, sum(d.attempts) FROM webhook_deliveries d"
                " JOIN webhooks w USING (webhook_id) GROUP BY w.url"
            ).fetchall()
        )
    assert len(receiver.received) == 5
    assert attempts[silent_url] == 1, "one timeout, not one per alert"
    with TestClient(create_app(database_url)) as client:
        shown = client.get("/api/admin/webhooks", headers=sign_in("admin")).json()
    failing = next(w for w in shown if w["url"] == silent_url)
    healthy = next(w for w in shown if w["url"] != silent_url)
    assert failing["undelivered"] == 5 and failing["last_error"] == "no answer within 1 s"
    assert failing["failing_since"] is not None and failing["next_attempt_at"] is not None
    assert healthy["undelivered"] == 0 and healthy["last_delivered_at"] is not None


def _undelivered(conn: psycopg.Connection) -> dict[str, tuple[str | None, bool]]:
    """Per webhook URL: the last error of its undelivered notification, and whether its retry
    waits (backoff)."""
    rows = conn.execute(
        "SELECT w.url, d.last_error, d.next_attempt_at > now() FROM webhook_deliveries d"
        " JOIN webhooks w USING (webhook_id) WHERE d.delivered_at IS NULL"
    ).fetchall()
    return {url: (error, waits) for url, error, waits in rows}


def test_a_webhook_stored_pointing_at_loopback_is_refused_at_delivery(database_url: str) -> None:
    """URLs stored before the API checked them: the receiver on loopback hears nothing, and
    each delivery says why it was refused and waits for its retry."""
    port = free_port()
    urls = [f"http://127.0.0.1:{port}/hook", f"http://localhost:{port}/hook"]
    with psycopg.connect(database_url) as conn:
        for url in urls:
            conn.execute(
                "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, '{home_care}')",
                (url, SECRET),
            )
        _red_spo2(conn)
    with (
        Receiver("127.0.0.1", port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 0
        undelivered = _undelivered(conn)
    assert receiver.received == []
    assert undelivered[urls[0]] == (
        "refused at delivery: a webhook may not point at 127.0.0.1 (loopback or link-local)",
        True,
    )
    error, waits = undelivered[urls[1]]
    assert error is not None and error.startswith("refused at delivery: ") and waits
    assert "localhost, which leads to " in error


def test_a_delivery_goes_to_the_address_checked_under_the_webhooks_name(
    database_url: str, outward: str
) -> None:
    """The name is resolved once, by the dispatcher: the request goes to the address it
    checked and still names the host it was meant for."""
    port = free_port(outward)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, '{home_care}')",
            (f"http://receiver.test:{port}/hook", SECRET),
        )
        _red_spo2(conn)
    resolve = names({"receiver.test": [outward]})
    with (
        Receiver(outward, port) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url, resolve=resolve) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
    ((headers, _),) = receiver.received
    assert headers["Host"] == f"receiver.test:{port}"


@pytest.mark.parametrize("rebound", [["127.0.0.1"], ["{outward}", "127.0.0.1"]])
def test_a_name_that_now_leads_to_loopback_is_refused_at_delivery(
    database_url: str, outward: str, rebound: list[str]
) -> None:
    """DNS rebinding: a name that led to a receiver on the network now leads (also) to the
    platform's own machine. Nothing is sent, neither there nor to the address still
    allowed, and the delivery says why and waits for its retry."""
    port = free_port(outward)
    url = f"http://receiver.test:{port}/hook"
    table = {"receiver.test": [outward]}
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, '{operator}')",
            (url, SECRET),
        )
        fire = Signal("container", "C1", "fire", True, datetime.now(UTC), "critical", "operator")
        apply_signals(conn, [fire])
    with (
        Receiver(outward, port) as receiver,
        Receiver("127.0.0.1", port) as on_loopback,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url, resolve=names(table)) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
        table["receiver.test"] = [address.format(outward=outward) for address in rebound]
        tilt = Signal("container", "C2", "tilt", True, datetime.now(UTC), "warning", "operator")
        apply_signals(conn, [tilt])
        assert dispatcher.deliver_due(conn) == 0
        undelivered = _undelivered(conn)
    assert len(receiver.received) == 1 and on_loopback.received == []
    assert undelivered == {
        url: (
            "refused at delivery: a webhook may not point at receiver.test, which leads to"
            " 127.0.0.1 (loopback or link-local)",
            True,
        )
    }


@pytest.fixture(scope="module")
def receiver_tls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a certificate for receiver.test (and localhost), not for any address."""
    directory = tmp_path_factory.mktemp("webhook-tls") / "tls"
    create_tls_material(directory, ("receiver.test",))
    return directory


def test_over_https_the_certificate_is_checked_against_each_name(
    database_url: str, outward: str, receiver_tls: Path
) -> None:
    """The connection goes to the checked address, the TLS handshake names the host (SNI)
    and the certificate must be for that name. Another name at the same address gets a
    handshake of its own, not the first name's connection, and fails: the certificate is
    not for it."""
    port = free_port(outward)
    good, impostor = (f"https://{name}:{port}/hook" for name in ("receiver.test", "impostor.test"))
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " (%s, %s, '{home_care}'), (%s, %s, '{operator}')",
            (good, SECRET, impostor, SECRET),
        )
        _red_spo2(conn)  # for receiver.test, sent first
        fire = Signal("container", "C1", "fire", True, datetime.now(UTC), "critical", "operator")
        apply_signals(conn, [fire])  # for impostor.test
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(receiver_tls / "server.crt", receiver_tls / "server.key")
    client_tls = ssl.create_default_context(cafile=receiver_tls / "ca.crt")
    resolve = names({"receiver.test": [outward], "impostor.test": [outward]})
    with (
        Receiver(outward, port, server_tls) as receiver,
        psycopg.connect(database_url) as conn,
        WebhookDispatcher(database_url, resolve=resolve, verify=client_tls) as dispatcher,
    ):
        assert dispatcher.deliver_due(conn) == 1
        undelivered = _undelivered(conn)
    ((headers, _),) = receiver.received
    assert headers["Host"] == f"receiver.test:{port}"
    assert receiver.server_names == ["receiver.test", "impostor.test"]
    error, _ = undelivered[impostor]
    assert error is not None and "CERTIFICATE_VERIFY_FAILED" in error, error
    assert good not in undelivered
