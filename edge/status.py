"""`tilsyn edge status`: what the agent's database says, readable while the agent runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from tilsyn.edge.config import ConfigStore
from tilsyn.edge.db import DB_NAME, Database
from tilsyn.edge.messages import rfc3339
from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.state import AgentState


def print_status(data_dir: Path, out: TextIO) -> int:
    if not (data_dir / DB_NAME).exists():
        print(f"no edge agent database in {data_dir}", file=out)
        return 1
    db = Database(data_dir)
    try:
        lines = _lines(db)
    finally:
        db.close()
    for name, value in lines:
        print(f"{name:<18} {value}", file=out)
    return 0


def _lines(db: Database) -> list[tuple[str, object]]:
    stats = DiskQueue(db).stats()
    state = AgentState(db)
    last = state.last_contact
    config = ConfigStore(db)
    ago = "never" if last is None else f"{rfc3339(last)} ({time.time() - last:.0f} s ago)"
    rejected = config.rejected
    return [
        ("queue depth", stats.depth),
        ("queue bytes", stats.size_bytes),
        ("awaiting receipt", stats.awaiting_receipt),
        ("resent", state.read("resent") or 0),
        ("oldest queued", rfc3339(stats.oldest_queued_at) or "-"),
        ("dropped total", stats.dropped_total),
        *((f"dropped {reason}", count) for reason, count in stats.dropped.items()),
        ("last contact", ago),
        ("readings queued", state.read("measured") or 0),
        ("config version", config.current.version if config.current else "none"),
        ("configs refused", rejected["count"] if rejected else 0),
    ]
