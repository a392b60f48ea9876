"""What each registered device is, cached in memory for the hot path of ingest."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg

from tilsyn.platform.containers.geometry import Geometry

# A device unknown now may be registered a moment later; look again, but not on every frame.
_RECHECK_UNKNOWN_AFTER_S = 2.0


@dataclass(frozen=True, slots=True)
class ContainerDevice:
    container_id: str
    codec: str
    geometry: Geometry


@dataclass(frozen=True, slots=True)
class DispenserDevice:
    codec: str
    ward_id: str
    dispenser_id: int
    reporting_interval_s: int = 3600  # the longest window a status covers


@dataclass(frozen=True, slots=True)
class BadgeDevice:
    codec: str
    ward_id: str
    role: str
    zoned: bool  # whether its ward has hand-hygiene zones to count against


@dataclass(frozen=True, slots=True)
class HubDevice:
    hub_id: str
    patient_ids: frozenset[str]


RegisteredDevice = ContainerDevice | DispenserDevice | BadgeDevice | HubDevice

_QUERIES: dict[str, LiteralString] = {
    "container": """SELECT d.device_id, d.codec, c.container_id, c.empty_distance_mm,
                           c.full_distance_mm
                    FROM devices d JOIN containers c ON c.dev_eui = d.device_id""",
    "dispenser": """SELECT d.device_id, d.codec, s.ward_id, s.dispenser_id,
                           s.reporting_interval_s
                    FROM devices d JOIN dispensers s ON s.dev_eui = d.device_id""",
    "badge": """SELECT d.device_id, d.codec, b.ward_id, b.role, EXISTS (
                    SELECT 1 FROM hygiene_zones z WHERE z.ward_id = b.ward_id)
                FROM devices d JOIN badges b ON b.dev_eui = d.device_id""",
    "hub": """SELECT d.device_id, coalesce(array_agg(p.patient_id)
                         FILTER (WHERE p.patient_id IS NOT NULL), '{}')
              FROM devices d JOIN hubs h ON h.hub_id = d.device_id
              LEFT JOIN hub_patients p ON p.hub_id = h.hub_id""",
}
_GROUP_BY: dict[str, LiteralString] = {"hub": " GROUP BY d.device_id"}


def _device(family: str, row: tuple[Any, ...]) -> RegisteredDevice:
    if family == "container":
        return ContainerDevice(str(row[2]), str(row[1]), Geometry(int(row[3]), int(row[4])))
    if family == "dispenser":
        return DispenserDevice(str(row[1]), str(row[2]), int(row[3]), int(row[4]))
    if family == "badge":
        return BadgeDevice(str(row[1]), str(row[2]), str(row[3]), bool(row[4]))
    return HubDevice(str(row[0]), frozenset(row[1]))


class DeviceDirectory:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._known: dict[str, RegisteredDevice] = {}
        self._unknown_since: dict[str, float] = {}
        self._sessions: dict[str, int] = {}
        self._lock = threading.Lock()
        # Devices forgotten while a load reads the registry: what it read of them may be older
        # than the change that made them forgotten.
        self._forgotten_meanwhile: set[str] = set()

    def load(self) -> None:
        """The whole registry, read again (at start, and once a minute from a thread of its
        own, so that changes made by other processes are learned)."""
        with self._lock:
            self._forgotten_meanwhile = set()
        known, sessions = self._read()
        with self._lock:
            for device_id in self._forgotten_meanwhile:
                known.pop(device_id, None)  # looked up afresh on its next message
            self._known = known
            # A reload never moves a session back: a join seen here may not be committed yet.
            for dev_eui, at in sessions.items():
                self._sessions[dev_eui] = max(at, self._sessions.get(dev_eui, 0))
            self._unknown_since.clear()

    def _read(self) -> tuple[dict[str, RegisteredDevice], dict[str, int]]:
        known = {}
        with psycopg.connect(self._database_url) as conn:
            for family, query in _QUERIES.items():
                for row in conn.execute(query + _GROUP_BY.get(family, "")):
                    known[str(row[0])] = _device(family, row)
            joins = conn.execute("SELECT dev_eui, max(time) FROM device_joins GROUP BY 1")
            sessions = {row[0]: int(row[1].timestamp()) for row in joins}
        return known, sessions

    def session(self, dev_eui: str) -> int:
        """The device's LoRaWAN session: the time of its latest join (0 before any)."""
        return self._sessions.get(dev_eui, 0)

    def joined(self, dev_eui: str, at: int) -> None:
        with self._lock:
            self._sessions[dev_eui] = max(at, self._sessions.get(dev_eui, 0))

    def forget(self, *device_ids: str) -> None:
        """A device's registration changed (a container's new sensor, codec or geometry): its
        next message looks it up again."""
        with self._lock:
            for device_id in device_ids:
                self._known.pop(device_id, None)
                self._unknown_since.pop(device_id, None)
            self._forgotten_meanwhile.update(device_ids)

    def lookup(self, device_id: str) -> RegisteredDevice | None:
        device = self._known.get(device_id)
        if device is not None:
            return device
        now = time.monotonic()
        with self._lock:
            checked = self._unknown_since.get(device_id)
            if checked is not None and now - checked < _RECHECK_UNKNOWN_AFTER_S:
                return None
            self._unknown_since[device_id] = now
        found = self._fetch(device_id)
        if found is not None:
            with self._lock:
                self._known[device_id] = found
                self._unknown_since.pop(device_id, None)
        return found

    def _fetch(self, device_id: str) -> RegisteredDevice | None:
        with psycopg.connect(self._database_url) as conn:
            for family, query in _QUERIES.items():
                sql = query + " WHERE d.device_id = %s" + _GROUP_BY.get(family, "")
                row = conn.execute(sql, (device_id,)).fetchone()
                if row is not None:
                    return _device(family, row)
        return None


class DeviceNotices:
    """The `tilsyn_device_changes` channel (db/listener.py): a registration any process changed
    is looked up again on the device's next message, not only at the next reload."""

    name = "tilsyn_device_changes"

    def __init__(self, directory: DeviceDirectory) -> None:
        self._directory = directory

    def heard(self, conn: psycopg.Connection, payloads: list[str]) -> None:
        self._directory.forget(*payloads)

    def listening(self, conn: psycopg.Connection, after_loss: bool) -> None:
        if after_loss:  # changes made meanwhile are unknown: read the registry again
            self._directory.load()
