"""Live fan-out of alert notifications to the web server's streams, per audience.

The alert engine runs in a thread; streams live on the server's event loop. A stream too slow
to keep up is closed (its client reconnects and replays from the outbox by Last-Event-ID).

A change is announced at once by the process that made it, and reaches every process (that
one too) as a notice from the database (`OutboxNotices`): the hub passes each outbox entry on
once, whichever way comes first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from tilsyn.platform.alerts.store import notifications
from tilsyn.platform.streams import Broadcast

STREAM_QUEUE = 1000
# Outbox ids the hub remembers having passed on: far more than one catch-up reads again.
REMEMBERED_IDS = 10_000
# After a lost connection, how far back the notices are read again: an entry committed late
# may carry a lower id than one heard before the loss.
CATCH_UP_OVERLAP = 1000


@dataclass(frozen=True)
class Notification:
    outbox_id: int
    audience: str
    payload: dict[str, Any]


class NotificationHub(Broadcast[Notification]):
    """Streams subscribe to audiences; a notification reaches the streams of its audience."""

    def __init__(self) -> None:
        super().__init__("alert notifications", STREAM_QUEUE)
        self._announced: OrderedDict[int, None] = OrderedDict()
        self._announced_lock = threading.Lock()

    def announce(self, notifications: Sequence[Notification]) -> None:
        """Thread-safe; returns at once. An entry already announced is not passed on again."""
        for notification in notifications:
            with self._announced_lock:
                if notification.outbox_id in self._announced:
                    continue
                self._announced[notification.outbox_id] = None
                if len(self._announced) > REMEMBERED_IDS:
                    self._announced.popitem(last=False)
            self.publish(notification, notification.audience)


class OutboxNotices:
    """The `tilsyn_alert_outbox` channel (db/listener.py): entries any process wrote."""

    name = "tilsyn_alert_outbox"

    def __init__(self, hub: NotificationHub) -> None:
        self._hub = hub
        self._first_id = self._heard_up_to = 0

    def heard(self, conn: psycopg.Connection, payloads: list[str]) -> None:
        ids = sorted({int(payload) for payload in payloads})
        self._heard_up_to = max(self._heard_up_to, ids[-1])
        self._hub.announce([Notification(*entry) for entry in notifications(conn, ids)])

    def listening(self, conn: psycopg.Connection, after_loss: bool) -> None:
        newest = _newest_id(conn)
        if not after_loss:
            self._first_id = self._heard_up_to = newest  # what came before is the replay's
            return
        after = max(self._first_id, self._heard_up_to - CATCH_UP_OVERLAP)
        missed = conn.execute(
            "SELECT id FROM notification_outbox WHERE id > %s ORDER BY id", (after,)
        ).fetchall()
        if missed:
            self.heard(conn, [str(row[0]) for row in missed])


def _newest_id(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(id), 0) FROM notification_outbox").fetchone()
    return int(row[0]) if row else 0
