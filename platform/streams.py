"""Fan-out of live events from any thread to streams on the server's event loop.

Producers (the alert engine's thread, request handlers in the thread pool, tasks on the loop)
call `Broadcast.publish`; each open stream reads its own bounded `asyncio.Queue`. A stream that
falls a whole queue behind is closed with a `None` end marker instead of holding memory without
limit: its client reconnects and catches up from the database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every broadcast, so that a stopping server can end its streams (`end_streams_on`).
_BROADCASTS: weakref.WeakSet[Broadcast[object]] = weakref.WeakSet()


def end_streams_on(loop: asyncio.AbstractEventLoop) -> int:
    """End every stream served on `loop` (a server about to stop; other servers in the process
    keep theirs): a stream never ends by itself, and its server would otherwise wait for it and
    then cancel it. Call on `loop`. Returns how many were ended."""
    return sum(broadcast.end_streams(loop) for broadcast in list(_BROADCASTS))


@dataclass(frozen=True, eq=False)
class _Stream(Generic[T]):
    queue: asyncio.Queue[T | None]
    loop: asyncio.AbstractEventLoop
    topics: frozenset[str] | None  # None: hears every item

    def hears(self, topic: str | None) -> bool:
        return self.topics is None or topic is None or topic in self.topics


class Broadcast(Generic[T]):
    """`what` names the items in the warning about a closed stream ("alert notifications");
    `queue_size` is how many items a stream may fall behind before it is closed."""

    def __init__(self, what: str, queue_size: int) -> None:
        self.what = what
        self.queue_size = queue_size
        # Streams change on event loops while publishers read them from other threads.
        self._lock = threading.Lock()
        self._streams: dict[asyncio.Queue[T | None], _Stream[T]] = {}
        _BROADCASTS.add(self)  # type: ignore[arg-type]

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._streams)

    def subscribe(self, topics: Iterable[str] | None = None) -> asyncio.Queue[T | None]:
        """A new stream on the running event loop, hearing every item or only those published
        to one of `topics`. A `None` from the queue means the stream was closed."""
        queue: asyncio.Queue[T | None] = asyncio.Queue(self.queue_size)
        stream = _Stream(
            queue, asyncio.get_running_loop(), None if topics is None else frozenset(topics)
        )
        with self._lock:
            self._streams[queue] = stream
        return queue

    def unsubscribe(self, queue: asyncio.Queue[T | None]) -> None:
        with self._lock:
            self._streams.pop(queue, None)

    def publish(self, item: T, topic: str | None = None) -> None:
        """Thread-safe and returns at once, on the loop or off it. An item without a topic
        goes to every stream."""
        with self._lock:
            for queue in [q for q, s in self._streams.items() if s.loop.is_closed()]:
                del self._streams[queue]  # a server that stopped without closing its streams
            targets = [stream for stream in self._streams.values() if stream.hears(topic)]
        by_loop: dict[asyncio.AbstractEventLoop, list[_Stream[T]]] = {}
        for stream in targets:
            by_loop.setdefault(stream.loop, []).append(stream)
        for loop, streams in by_loop.items():
            # Even on the loop itself this goes through its callbacks, so items keep the order
            # they were published in.
            with suppress(RuntimeError):  # the loop closed just now; so did its streams
                loop.call_soon_threadsafe(self._deliver, item, streams)

    def end_streams(self, loop: asyncio.AbstractEventLoop) -> int:
        """End this broadcast's streams on `loop`, from `loop`: each gets its end marker."""
        with self._lock:
            ending = [stream for stream in self._streams.values() if stream.loop is loop]
            for stream in ending:
                del self._streams[stream.queue]
        for stream in ending:
            _put_end_marker(stream.queue)
        return len(ending)

    def _deliver(self, item: T, streams: list[_Stream[T]]) -> None:
        for stream in streams:
            with self._lock:
                if self._streams.get(stream.queue) is not stream:
                    continue  # unsubscribed or closed since the item was published
            try:
                stream.queue.put_nowait(item)
            except asyncio.QueueFull:
                log.warning("closing a stream that fell %d %s behind", self.queue_size, self.what)
                self.unsubscribe(stream.queue)
                _put_end_marker(stream.queue)


async def next_within(queue: asyncio.Queue[T | None], seconds: float) -> T | None:
    """The stream's next item (None: it was closed); TimeoutError after `seconds` without one.
    Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes as the queue
    hands an item over, and a server stopping then waits for that stream forever."""
    async with asyncio.timeout(max(0.0, seconds)):
        return await queue.get()


def _put_end_marker(queue: asyncio.Queue[T | None]) -> None:
    if queue.full():
        queue.get_nowait()  # room for the end-of-stream marker
    queue.put_nowait(None)
