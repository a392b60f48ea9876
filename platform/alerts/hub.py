"""Live fan-out of alert notifications to the web server's streams, per audience.

The alert engine runs in a thread; streams live on the server's event loop. A stream too slow
to keep up is closed (its client reconnects and replays from the outbox by Last-Event-ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tilsyn.platform.streams import Broadcast

STREAM_QUEUE = 1000


@dataclass(frozen=True)
class Notification:
    outbox_id: int
    audience: str
    payload: dict[str, Any]


class NotificationHub(Broadcast[Notification]):
    """Streams subscribe to audiences; a notification reaches the streams of its audience."""

    def __init__(self) -> None:
        super().__init__("alert notifications", STREAM_QUEUE)

    def announce(self, notifications: Sequence[Notification]) -> None:
        """Thread-safe; returns at once."""
        for notification in notifications:
            self.publish(notification, notification.audience)
