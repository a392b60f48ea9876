"""Live fan-out of alert notifications to the web server's streams, per audience.

The alert engine runs in a thread; streams live on the server's event loop. Notifications cross
over with `call_soon_threadsafe`; each stream has a bounded queue, and a stream too slow to keep
up is closed (its client reconnects and replays from the outbox by Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

STREAM_QUEUE = 1000


@dataclass(frozen=True)
class Notification:
    outbox_id: int
    audience: str
    payload: dict[str, Any]


class NotificationHub:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._streams: dict[str, set[asyncio.Queue[Notification | None]]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, audiences: Sequence[str]) -> asyncio.Queue[Notification | None]:
        queue: asyncio.Queue[Notification | None] = asyncio.Queue(STREAM_QUEUE)
        for audience in audiences:
            self._streams.setdefault(audience, set()).add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Notification | None]) -> None:
        for streams in self._streams.values():
            streams.discard(queue)

    def publish(self, notifications: Sequence[Notification]) -> None:
        """Thread-safe; returns at once."""
        if self._loop is not None and notifications:
            self._loop.call_soon_threadsafe(self._fan_out, list(notifications))

    def _fan_out(self, notifications: list[Notification]) -> None:
        for notification in notifications:
            for queue in list(self._streams.get(notification.audience, ())):
                try:
                    queue.put_nowait(notification)
                except asyncio.QueueFull:
                    log.warning("closing a stream that fell %d notifications behind", STREAM_QUEUE)
                    self.unsubscribe(queue)
                    queue.get_nowait()  # make room for the end-of-stream marker
                    queue.put_nowait(None)
