"""Work in worker threads ends before the server closes what that work uses."""

from __future__ import annotations

import asyncio
import threading
import time

import own_loop
import pytest

from tilsyn.platform.background import in_thread_to_the_end


def test_a_cancelled_wait_for_thread_work_returns_only_once_the_work_ended() -> None:
    """The server stops during a night sweep: the sweep's thread still holds a connection of
    the pool that is closed next, so the cancelled task must not end before the thread."""
    ended = threading.Event()

    def sweep() -> None:
        time.sleep(0.5)
        ended.set()

    async def stop_during_the_sweep() -> None:
        task = asyncio.create_task(in_thread_to_the_end(sweep))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert ended.is_set(), "the task ended while its thread still worked"
        assert task.cancelled()

    own_loop.run(stop_during_the_sweep)


def test_thread_work_returns_its_value_and_raises_its_error() -> None:
    async def both() -> None:
        assert await in_thread_to_the_end(sum, [1, 2, 3]) == 6
        with pytest.raises(ValueError, match="not a number"):
            await in_thread_to_the_end(int, "not a number")

    own_loop.run(both)
