"""Reading a live stream (Server-Sent Events) in tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def plan_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, plan) of each `plan` event on an open Server-Sent Events response."""
    event_id, kind = "", ""
    for line in response.iter_lines():
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind == "plan":
            yield event_id, json.loads(line[6:])
