"""Webhook delivery from the outbox: signed bodies, retries with backoff, nothing lost on restart.

Deliveries are rows written in the same transaction as the alert change, so a platform that stops
with deliveries pending sends them when it starts again. Receivers verify
`X-Tilsyn-Signature: sha256=<hex HMAC of "<timestamp>.<body>">` with their shared secret and
reject stale timestamps to stop replays.

An alert about a patient goes out without the patient: no id, title or values, only what
happened, where (unit) and how urgent, and the alert's id. Webhooks are set up by an admin,
who may not read patient data; a receiver that may fetches the alert with its own credentials
(`GET /api/alerts/{id}`, audited).

Each delivery is its own transaction, and a receiver's answer is not read: one slow, huge or
broken receiver delays the others by at most its timeout and cannot undo their deliveries. The
timeout bounds the whole attempt, not each read: a receiver that trickles its status line a
byte at a time is cut off like one that never answers.

The host is resolved again at each delivery and refused if it now leads to loopback or
link-local (a name rebound since the webhook was made): the attempt fails with why and is
retried like any other. The request goes to the address that was checked, so nothing resolves
the name in between; redirects are not followed, and proxies from the environment not used.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from tilsyn.platform.alerts.webhook_urls import (
    Address,
    InsideAddress,
    refuse_inside_any,
    resolve_host,
)

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# What a receiver learns of an alert about a patient.
PATIENT_ALERT_FIELDS = (
    "alert_id",
    "entity_type",
    "rule",
    "severity",
    "state",
    "audience",
    "unit",
    "first_at",
    "last_at",
    "escalation_level",
)
# What a host leads to now; resolve_host unless a test gives names of its own.
Resolve = Callable[[str], Awaitable[Sequence[Address]]]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=2**attempts))


class WebhookDispatcher:
    def __init__(
        self,
        database_url: str,
        poll_seconds: float = 1.0,
        timeout: float = 5.0,
        *,
        resolve: Resolve = resolve_host,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._database_url = database_url
        self._poll_seconds = poll_seconds
        self._timeout = timeout
        self._resolve = resolve
        # Async only so that an attempt can be cancelled as a whole (asyncio.wait_for);
        # attempts are still made one at a time, by whichever thread delivers.
        self._loop = asyncio.new_event_loop()
        # Requests go to an address, not a name (see _status_at). A pooled connection would
        # be reused for any name at that address, over TLS checked for another name: none is
        # kept (while answers go unread none could be; this holds if one day they are read).
        # A transport of our own also leaves out proxies from the environment: through one,
        # the certificate would be checked against the address, not the name.
        transport = httpx.AsyncHTTPTransport(
            verify=verify, limits=httpx.Limits(max_keepalive_connections=0)
        )
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        self.close()

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> WebhookDispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def deliver_due(self, conn: psycopg.Connection, limit: int = 50) -> int:
        """Try up to `limit` deliveries that are due, each in a transaction of its own (the
        row stays locked while it is sent, so two dispatchers never send it twice); returns
        how many succeeded."""
        delivered = 0
        for _ in range(limit):
            with conn.transaction():
                due = conn.execute(
                    """SELECT d.outbox_id, d.webhook_id, d.attempts, w.url, w.secret, o.payload
                       FROM webhook_deliveries d
                       JOIN webhooks w USING (webhook_id)
                       JOIN notification_outbox o ON o.id = d.outbox_id
                       WHERE d.delivered_at IS NULL AND d.next_attempt_at <= now()
                       ORDER BY d.outbox_id LIMIT 1 FOR UPDATE OF d SKIP LOCKED"""
                ).fetchone()
                if due is None:
                    break
                outbox_id, webhook_id, attempts, url, secret, payload = due
                error = self._post(url, secret, outbox_id, payload)
                self._record(conn, outbox_id, webhook_id, attempts + 1, error)
            delivered += error is None
        return delivered

    def _post(self, url: str, secret: str, outbox_id: int, payload: Any) -> str | None:
        body = json.dumps(
            {"id": outbox_id, **for_receiver(payload)}, separators=(",", ":")
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Tilsyn-Timestamp": timestamp,
            "X-Tilsyn-Signature": sign(secret, timestamp, body),
            "X-Tilsyn-Delivery": str(outbox_id),
        }
        attempt = asyncio.wait_for(self._status(url, body, headers), self._timeout)
        try:
            status = self._loop.run_until_complete(attempt)
        except TimeoutError:
            return f"no answer within {self._timeout:g} s"
        except InsideAddress as error:
            return f"refused at delivery: {error}"[:500]
        except Exception as error:  # any failure (a malformed URL too) is an attempt, retried
            return f"{type(error).__name__}: {error}"[:500]
        return None if 200 <= status < 300 else f"HTTP {status}"

    async def _status(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        target = httpx.URL(url)
        host = target.raw_host.decode("ascii")
        addresses = await self._resolve(host)
        refuse_inside_any(host, addresses)
        if not addresses:
            raise OSError(f"{host[:80]} resolves to no address")
        for address in addresses[:-1]:
            try:
                return await self._status_at(address, target, body, headers)
            except httpx.ConnectError:
                pass  # the name's next address may answer, as when httpx resolves it
        return await self._status_at(addresses[-1], target, body, headers)

    async def _status_at(
        self, address: Address, target: httpx.URL, body: bytes, headers: dict[str, str]
    ) -> int:
        # Sent to the checked address itself, so nothing resolves the name again between the
        # check and the connection. The name still goes in the Host header and to TLS, which
        # sends it as SNI and checks the certificate against it: httpcore's `sni_hostname`
        # request extension, public API, where pinning inside httpcore would need its
        # network backend, which httpx's transport does not let one set.
        pinned = target.copy_with(host=str(address))
        named = {**headers, "Host": target.netloc.decode("ascii")}
        tls_name = {"sni_hostname": target.raw_host.decode("ascii")}
        # Only the status line counts: the body is never read, however large.
        async with self._client.stream(
            "POST", pinned, content=body, headers=named, extensions=tls_name
        ) as response:
            return response.status_code

    def _record(
        self,
        conn: psycopg.Connection,
        outbox_id: int,
        webhook_id: int,
        attempts: int,
        error: str | None,
    ) -> None:
        if error is None:
            conn.execute(
                "UPDATE webhook_deliveries SET attempts = %s, delivered_at = now(),"
                " last_error = NULL WHERE outbox_id = %s AND webhook_id = %s",
                (attempts, outbox_id, webhook_id),
            )
            return
        retry_at = datetime.now(UTC) + backoff(attempts)
        log.warning(
            "webhook %s delivery %s failed (%s); retry at %s",
            webhook_id,
            outbox_id,
            error,
            retry_at,
        )
        conn.execute(
            "UPDATE webhook_deliveries SET attempts = %s, next_attempt_at = %s, last_error = %s"
            " WHERE outbox_id = %s AND webhook_id = %s",
            (attempts, retry_at, error, outbox_id, webhook_id),
        )
        # The receiver's other notifications would fail the same way: they wait as long, so
        # a receiver that does not answer costs one timeout per retry, not one per alert, and
        # the other receivers' deliveries are not held up behind it.
        conn.execute(
            """UPDATE webhook_deliveries SET next_attempt_at = %(retry_at)s
               WHERE webhook_id = %(webhook)s AND (outbox_id, webhook_id) IN (
                   SELECT outbox_id, webhook_id FROM webhook_deliveries
                   WHERE webhook_id = %(webhook)s AND delivered_at IS NULL
                     AND next_attempt_at < %(retry_at)s
                   FOR UPDATE SKIP LOCKED)""",
            {"retry_at": retry_at, "webhook": webhook_id},
        )

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        while not self._stopping.wait(self._poll_seconds):
            try:
                conn = (
                    conn
                    if conn is not None and not conn.closed
                    else psycopg.connect(self._database_url)
                )
                while self.deliver_due(conn) > 0:
                    pass
            except psycopg.OperationalError as error:
                log.warning("webhook dispatcher cannot reach the database: %s", error)
                conn = None
            except Exception:
                # A defect must not end every later delivery; it is in the log with its trace.
                log.exception("webhook delivery failed")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def for_receiver(payload: dict[str, Any]) -> dict[str, Any]:
    """The outbox entry as a receiver gets it: an alert about a patient without the patient."""
    alert = payload.get("alert")
    if not isinstance(alert, dict) or alert.get("entity_type") != "patient":
        return payload
    kept = {name: alert[name] for name in PATIENT_ALERT_FIELDS if name in alert}
    return {**payload, "alert": kept}
