"""Live fill for the operator's map: ingest commits in, one batch of changed states out.

Ingest calls `observe` from its writer thread with what it committed, and a change to a
container's registration calls `changed`; readings and changes committed by other processes
arrive as notices (`ContainerNotices`). The feed only notes which containers changed. Every
`interval_s`, on the server's event loop, it reads those containers' states and sends them as
one batch to every open stream. The map stays live without re-reading every container, and a
burst of readings from one container costs one row per batch. A changed container no longer in
service (retired) goes out by id, so maps take its marker off.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg_pool import ConnectionPool

from tilsyn.platform.background import in_thread_to_the_end
from tilsyn.platform.containers.models import ContainerState
from tilsyn.platform.containers.store import get_states
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS
from tilsyn.platform.streams import Broadcast

log = logging.getLogger(__name__)

# Batches a stream may fall behind before it is closed; the client reconnects and re-reads all.
STREAM_QUEUE = 30
_CONTAINER_ID = CONTAINER_READINGS.columns.index("container_id")


@dataclass(frozen=True)
class Batch:
    states: list[ContainerState]
    retired: list[str]  # changed, and no longer in service


class ContainerFeed:
    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._changed: set[str] = set()
        self.streams: Broadcast[Batch] = Broadcast("container fill batches", STREAM_QUEUE)

    def observe(self, stored: Sequence[Accepted], committed_at: float) -> None:
        """An ingest observer: cheap, never blocks the writer."""
        changed = {
            row[_CONTAINER_ID]
            for outcome in stored
            for table, rows in outcome.rows
            if table is CONTAINER_READINGS
            for row in rows
        }
        if changed:
            with self._lock:
                self._changed.update(str(container_id) for container_id in changed)

    def changed(self, *container_ids: str) -> None:
        """A container's registration or fill changed: its state goes out with the next
        batch. Call it after the change is committed, or the batch may read the old."""
        with self._lock:
            self._changed.update(container_ids)

    async def run(self, pool: ConnectionPool) -> None:
        """Send what changed, every interval, until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            with self._lock:
                changed, self._changed = self._changed, set()
            if not changed or not self.streams.open_streams:
                continue  # nobody watching: a new stream starts from a full read anyway
            try:
                batch = await in_thread_to_the_end(_read, pool, sorted(changed))
            except Exception:  # a database outage: keep the ids for the next round
                log.warning("container feed could not read states", exc_info=True)
                with self._lock:
                    self._changed.update(changed)
                continue
            self.streams.publish(batch)


class ContainerNotices:
    """The `tilsyn_container_changes` channel (db/listener.py): what any process changed."""

    name = "tilsyn_container_changes"

    def __init__(self, feed: ContainerFeed) -> None:
        self._feed = feed

    def heard(self, conn: psycopg.Connection, payloads: list[str]) -> None:
        self._feed.changed(*payloads)

    def listening(self, conn: psycopg.Connection, after_loss: bool) -> None:
        if after_loss:  # what changed meanwhile is unknown: every container goes out again
            ids = conn.execute("SELECT container_id FROM containers").fetchall()
            self._feed.changed(*(str(row[0]) for row in ids))


def _read(pool: ConnectionPool, container_ids: list[str]) -> Batch:
    with pool.connection() as conn:
        states = get_states(conn, container_ids)
    found = {state.container_id for state in states}
    return Batch(
        states, [container_id for container_id in container_ids if container_id not in found]
    )
