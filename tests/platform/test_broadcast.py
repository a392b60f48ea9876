"""The fan-out behind every live stream: from any thread to bounded queues on the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from own_loop import run

from tilsyn.platform.streams import Broadcast, end_streams_on, next_within

WAIT_S = 5.0


async def drained(queue: asyncio.Queue[str | None]) -> list[str | None]:
    """What the queue holds once the callbacks already scheduled on the loop have run."""
    await asyncio.sleep(0)
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_an_item_published_from_a_worker_thread_reaches_the_stream() -> None:
    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 10)
        queue = broadcast.subscribe()
        worker = threading.Thread(target=broadcast.publish, args=("from a thread",))
        worker.start()
        assert await asyncio.wait_for(queue.get(), WAIT_S) == "from a thread"
        worker.join()

    run(main)


def test_items_published_on_the_loop_arrive_in_order() -> None:
    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 10)
        queue = broadcast.subscribe()
        for item in ("first", "second", "third"):
            broadcast.publish(item)
        assert await drained(queue) == ["first", "second", "third"]

    run(main)


def test_a_stream_hears_only_its_topics_and_one_without_topics_hears_all() -> None:
    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 10)
        nurses = broadcast.subscribe(["home_care", "night_nurse"])
        operators = broadcast.subscribe(["operator"])
        everything = broadcast.subscribe()
        broadcast.publish("pulse", "home_care")
        broadcast.publish("bin full", "operator")
        broadcast.publish("to all")
        assert await drained(nurses) == ["pulse", "to all"]
        assert await drained(operators) == ["bin full", "to all"]
        assert await drained(everything) == ["pulse", "bin full", "to all"]

    run(main)


def test_a_stream_that_falls_behind_is_closed_with_the_end_marker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 2)
        slow = broadcast.subscribe()
        keeping_up = broadcast.subscribe()
        heard = []
        for item in ("a", "b", "c"):
            broadcast.publish(item)
            heard += await drained(keeping_up)
        assert heard == ["a", "b", "c"]
        assert await drained(slow) == ["b", None], "the oldest item made room for the marker"
        assert broadcast.open_streams == 1
        broadcast.publish("d")
        assert await drained(slow) == [], "a closed stream hears nothing more"
        assert await drained(keeping_up) == ["d"]

    with caplog.at_level(logging.WARNING, logger="tilsyn.platform.streams"):
        run(main)
    assert [r.getMessage() for r in caplog.records] == [
        "closing a stream that fell 2 test items behind"
    ]


def test_an_unsubscribed_stream_hears_nothing_not_even_what_was_already_on_its_way() -> None:
    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 10)
        queue = broadcast.subscribe(["home_care"])
        broadcast.publish("on its way", "home_care")
        broadcast.unsubscribe(queue)
        broadcast.publish("after", "home_care")
        assert await drained(queue) == []
        assert broadcast.open_streams == 0
        broadcast.unsubscribe(queue)  # twice is harmless: routes unsubscribe in `finally`

    run(main)


def test_streams_of_a_loop_that_has_closed_are_dropped_quietly() -> None:
    broadcast: Broadcast[str] = Broadcast("test items", 10)

    async def leave_a_stream_open() -> None:
        broadcast.subscribe()

    run(leave_a_stream_open)
    broadcast.publish("nobody there")
    assert broadcast.open_streams == 0


def test_a_stopping_server_ends_its_own_streams_and_no_one_elses() -> None:
    """`end_streams_on` runs on the stopping server's loop: its streams get the end marker, a
    full one too; a stream of another server (another loop) in the same process is left be."""
    elsewhere: Broadcast[str] = Broadcast("other items", 10)

    async def other_server() -> None:
        elsewhere.subscribe()

    run(other_server)

    async def main() -> None:
        broadcast: Broadcast[str] = Broadcast("test items", 2)
        first, second = broadcast.subscribe(), broadcast.subscribe()
        broadcast.publish("one")
        broadcast.publish("two")
        await asyncio.sleep(0)
        assert first.full()
        assert end_streams_on(asyncio.get_running_loop()) == 2
        # A full stream gives up its oldest item for the marker, as one that fell behind does.
        assert await drained(first) == await drained(second) == ["two", None]
        broadcast.publish("after the end")
        assert await drained(first) == []

    run(main)
    assert elsewhere.open_streams == 1, "the other loop's stream was left alone"


@pytest.mark.parametrize("steps", range(6))
def test_a_stream_waiting_for_its_next_item_ends_when_cancelled_as_one_arrives(
    steps: int,
) -> None:
    """Each live stream waits for its next item with a time limit (for keep-alives). Cancelled
    in the loop steps in which an item is handed over (a server stopping), the wait must end
    cancelled: asyncio.wait_for on Python 3.11 returned the item instead, and the stream
    went on."""

    async def cancel_as_an_item_arrives() -> bool:
        broadcast: Broadcast[str] = Broadcast("words", 10)
        queue = broadcast.subscribe()
        waiting = asyncio.create_task(next_within(queue, 3600))
        await asyncio.sleep(0)
        broadcast.publish("hello")
        for _ in range(steps):
            await asyncio.sleep(0)
        if not waiting.cancel():
            return True  # it had its item before the cancellation came: nothing to lose
        await asyncio.wait([waiting], timeout=1.0)
        return waiting.cancelled()

    assert run(cancel_as_an_item_arrives)


def test_a_stream_waiting_for_its_next_item_gets_it_or_times_out() -> None:
    async def wait_twice() -> tuple[str | None, bool]:
        broadcast: Broadcast[str] = Broadcast("words", 10)
        queue = broadcast.subscribe()
        broadcast.publish("hello")
        first = await next_within(queue, 1.0)
        try:
            await next_within(queue, 0.05)
        except TimeoutError:
            return first, True
        return first, False

    assert run(wait_twice) == ("hello", True)
