"""Which container a device belongs to, cached in memory for the hot path of ingest."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psycopg

from tilsyn.platform.containers.geometry import Geometry

# A device unknown now may be registered a moment later; look again, but not on every frame.
_RECHECK_UNKNOWN_AFTER_S = 2.0


@dataclass(frozen=True, slots=True)
class ContainerDevice:
    container_id: str
    codec: str
    geometry: Geometry


class DeviceDirectory:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._known: dict[str, ContainerDevice] = {}
        self._unknown_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        with psycopg.connect(self._database_url) as conn:
            rows = conn.execute(_QUERY).fetchall()
        with self._lock:
            self._known = {row[0]: _device(row) for row in rows}
            self._unknown_since.clear()

    def lookup(self, dev_eui: str) -> ContainerDevice | None:
        device = self._known.get(dev_eui)
        if device is not None:
            return device
        now = time.monotonic()
        with self._lock:
            checked = self._unknown_since.get(dev_eui)
            if checked is not None and now - checked < _RECHECK_UNKNOWN_AFTER_S:
                return None
            self._unknown_since[dev_eui] = now
        with psycopg.connect(self._database_url) as conn:
            row = conn.execute(_QUERY + " WHERE d.device_id = %s", (dev_eui,)).fetchone()
        if row is None:
            return None
        with self._lock:
            self._known[dev_eui] = _device(row)
            self._unknown_since.pop(dev_eui, None)
        return self._known[dev_eui]


_QUERY = """
    SELECT d.device_id, c.container_id, d.codec, c.empty_distance_mm, c.full_distance_mm
    FROM devices d JOIN containers c ON c.dev_eui = d.device_id
"""


def _device(row: tuple[str, str, str, int, int]) -> ContainerDevice:
    return ContainerDevice(container_id=row[1], codec=row[2], geometry=Geometry(row[3], row[4]))
