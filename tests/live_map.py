"""A platform serving the live fill map, and operators' maps reading its stream: for tests of
what reaches open maps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fix_server import LiveServer
from waiting import wait_for

from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.feed import ContainerFeed

MapEvent = tuple[str, Any]  # the event's name (fill, retired) and its data


@contextmanager
def map_server(database_url: str) -> Iterator[tuple[str, ContainerFeed]]:
    """The platform's URL, and its feed batching every 0.2 s."""
    feed = ContainerFeed(interval_s=0.2)
    with LiveServer(create_app(database_url, container_feed=feed)) as server:
        yield server.url, feed


def open_map(url: str, headers: dict[str, str], feed: ContainerFeed) -> list[MapEvent]:
    """An operator's map: the stream's events, as they arrive, from once the stream is open
    until the server stops."""
    events: list[MapEvent] = []
    opened = feed.streams.open_streams

    def read() -> None:
        name = ""
        with httpx.stream("GET", f"{url}/api/containers/stream", headers=headers, timeout=30) as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((name, json.loads(line.removeprefix("data: "))))

    threading.Thread(target=read, daemon=True).start()
    wait_for(lambda: feed.streams.open_streams > opened, timeout=15)
    return events
