"""Work the running platform does on a clock, each in a thread of its own: maintenance every
hour, the daily collection plan's look every minute."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import psycopg

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


async def in_thread_to_the_end(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in a worker thread. Cancelled meanwhile (the server stopping),
    it still waits for the thread to end before passing the cancellation on: the thread may be
    using a database connection from the pool the server closes next."""
    running = asyncio.ensure_future(asyncio.to_thread(work, *args, **kwargs))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait([running])
        raise


class Periodic:
    """Calls `work` every `every_seconds` until stopped, the first time at once or after one
    interval. A database that is away is said once a round and tried again the next; any
    other failure is logged with its trace, and the rounds go on."""

    def __init__(
        self, name: str, work: Callable[[], object], every_seconds: float, *, at_once: bool
    ) -> None:
        self._name = name
        self._work = work
        self._every = every_seconds
        self._at_once = at_once
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.ident is not None:  # never started: nothing to wait for
            self._thread.join(timeout=30)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        if not self._at_once and self._stopping.wait(self._every):
            return
        while True:
            try:
                self._work()
            except psycopg.Error as error:
                log.warning("%s: database unavailable, will try again: %s", self._name, error)
            except Exception:
                log.exception("%s failed", self._name)
            if self._stopping.wait(self._every):
                return
