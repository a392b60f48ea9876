"""Webhooks: signed bodies, retries while the receiver is down, and delivery after a restart."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.broker.local import free_port
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.alerts.webhook_urls import check_webhook_url
from tilsyn.platform.alerts.webhooks import WebhookDispatcher
from tilsyn.platform.api.app import create_app

pytestmark = pytest.mark.integration
SECRET = "s3cret-for-tests"


class Receiver:
    """A webhook endpoint on this machine that records what it is sent."""

    def __init__(self, port: int) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = HTTPServer(("127.0.0.1", port), Handler)
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


def test_a_pending_notification_is_delivered_signed_after_a_restart(database_url: str) -> None:
    port = free_port()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, %s)",
            (f"http://127.0.0.1:{port}/hook", SECRET, ["operator"]),
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
        Receiver(port) as receiver,
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


def test_an_alert_about_a_patient_goes_out_without_the_patient(database_url: str) -> None:
    """Webhooks are set up by an admin, who may not read patient data: the receiver learns
    that something happened, where and how urgent, and fetches the rest with its own rights."""
    port = free_port()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, %s)",
            (f"http://127.0.0.1:{port}/hook", SECRET, ["home_care"]),
        )
        _red_spo2(conn)
    with (
        Receiver(port) as receiver,
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


def test_a_broken_webhook_url_costs_only_its_own_deliveries(database_url: str) -> None:
    """A URL stored before the API checked them, which httpx cannot send to: an attempt that
    failed, with why; the other webhook is delivered once, and the dispatcher goes on."""
    port = free_port()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " ('http://[::1', 'x', '{home_care}'), (%s, %s, '{home_care}')",
            (f"http://127.0.0.1:{port}/hook", SECRET),
        )
        _red_spo2(conn)
    with (
        Receiver(port) as receiver,
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

    def __init__(self, port: int, seconds_per_byte: float = 0.25) -> None:
        self._listener = socket.create_server(("127.0.0.1", port))
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


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout(database_url: str) -> None:
    """Its status line would take a minute; the attempt fails after the timeout, with why,
    and is retried later like any other failure."""
    port = free_port()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, '{home_care}')",
            (f"http://127.0.0.1:{port}/hook", SECRET),
        )
        _red_spo2(conn)
    with (
        TricklingReceiver(port),
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
    database_url: str, sign_in: SignIn
) -> None:
    """Five alerts for two receivers, one of which accepts connections and never answers:
    it costs one timeout, its other notifications wait for its retry, the healthy receiver
    gets all five at once, and the admin sees what is failing and since when."""
    healthy_port = free_port()
    silent = socket.create_server(("127.0.0.1", 0))  # listens, never accepts or answers
    silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences) VALUES"
            " (%s, 'x', '{operator}'), (%s, %s, '{operator}')",
            (silent_url, f"http://127.0.0.1:{healthy_port}/hook", SECRET),
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
        Receiver(healthy_port) as receiver,
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
