"""Tells open plan streams that a shift changed. Planning runs in worker threads; streams live
on the server's event loop, so the news crosses over with `call_soon_threadsafe`."""

from __future__ import annotations

import asyncio
import threading

Change = tuple[int, int]  # (shift id, revision)


class PlanStreams:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]] = []

    def subscribe(self) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue()
        with self._lock:
            self._queues.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        with self._lock:
            self._queues = [(loop, q) for loop, q in self._queues if q is not queue]

    def publish(self, change: Change) -> None:
        """Thread-safe; returns at once."""
        with self._lock:
            targets = list(self._queues)
        for loop, queue in targets:
            if not loop.is_closed():
                loop.call_soon_threadsafe(queue.put_nowait, change)
