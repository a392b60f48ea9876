"""A network server's uplinks for the drills: registered containers, a publisher that knows which
uplinks the broker acknowledged, and what the platform stored of them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

import psycopg
from lorawan import chirpstack_uplink
from registry_seed import sample_container

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.service import IngestService

DEVICES = [f"24e1247100dd{i:04x}" for i in range(20)]
READING = "0175640382d007"  # Milesight EM310-UDL: battery 100 %, distance 2000 mm


def register_containers(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for i, dev_eui in enumerate(DEVICES):
            register_container(
                conn,
                sample_container(
                    f"D{i}",
                    dev_eui,
                    waste_kind="paper",
                    capacity_litres=660,
                    empty_distance_mm=2000,
                    full_distance_mm=300,
                ),
            )


def start_ingest(
    database_url: str, mqtt_url: str, *, tag: str = "", share_group: str = ""
) -> IngestService:
    """An ingest; the same `tag` is the same client, so a restart resumes its session."""
    tag = tag or uuid.uuid4().hex[:6]
    settings = Settings(ingest_client_id=f"ingest-{tag}", ingest_share_group=share_group)
    service = IngestService(settings, database_url, mqtt_url)
    service.start()
    return service


def frame_of(uplink: tuple[str, bytes]) -> str:
    """`devEUI:fCnt`: what identifies a frame of the drills' containers in the stored readings."""
    event = json.loads(uplink[1])
    return f"{event['deviceInfo']['devEui']}:{event['fCnt']}"


class NetworkServer(threading.Thread):
    """Publishes `count` uplinks at `rate` per second at QoS 1, one at a time, offering each again
    (the same deduplication id) until the broker acknowledges it, as a gateway with a buffer does.

    `sent` holds the uplinks offered at least once, `acknowledged` the frames the broker took.
    """

    def __init__(self, mqtt_url: str, count: int, rate: float) -> None:
        super().__init__(name="network-server", daemon=True)
        self.count, self.rate = count, rate
        self.connection = MqttConnection(mqtt_url, f"ns-{uuid.uuid4().hex[:6]}")
        self.sent: list[tuple[str, bytes]] = []
        self.acknowledged: set[str] = set()
        self.lock = threading.Lock()

    def run(self) -> None:
        self.connection.connect()
        started = time.monotonic()
        try:
            for i in range(self.count):
                delay = started + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                uplink = chirpstack_uplink(DEVICES[i % len(DEVICES)], READING, f_cnt=i + 1)
                with self.lock:
                    self.sent.append(uplink)
                while not self._offer(*uplink):
                    time.sleep(0.2)
                with self.lock:
                    self.acknowledged.add(frame_of(uplink))
        finally:
            self.connection.close()

    def _offer(self, topic: str, body: bytes) -> bool:
        if not self.connection.wait_connected(1.0):
            return False
        try:
            return self.connection.publish(topic, body, qos=1, wait=True, timeout=2.0)
        except (ConnectionError, RuntimeError):  # paho: the connection dropped meanwhile
            return False

    def sent_so_far(self) -> set[str]:
        with self.lock:
            return {frame_of(uplink) for uplink in self.sent}


def stored_frames(database_url: str) -> set[str]:
    """`devEUI:fCnt` of every container reading the platform stored."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT dev_eui, fcnt FROM container_readings").fetchall()
    return {f"{dev_eui}:{fcnt}" for dev_eui, fcnt in rows}


def reading_rows(database_url: str) -> int:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        (count,) = conn.execute("SELECT count(*) FROM container_readings").fetchone() or (0,)
    return int(count)


def dead_letter_reasons(database_url: str) -> list[str]:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT reason FROM dead_letters").fetchall()
    return [str(reason) for (reason,) in rows]


def time_until(done: Callable[[], bool], timeout: float) -> float:
    """Seconds until `done()` is true (polled; a database still down counts as not yet)."""
    started = time.monotonic()
    while not _safely(done):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not recovered within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _safely(done: Callable[[], bool]) -> bool:
    try:
        return done()
    except psycopg.OperationalError:
        return False


def time_until_settled(
    done: Callable[[], bool], progress: Callable[[], int], *, quiet_s: float = 10.0
) -> float | None:
    """Seconds until `done()`; None once `progress()` has not moved for `quiet_s` (a loss: the
    drill goes on to count it)."""
    started = last_move = time.monotonic()
    last = progress()
    while not _safely(done):
        now = time.monotonic()
        current = progress()
        if current != last:
            last, last_move = current, now
        elif now - last_move > quiet_s:
            return None
        time.sleep(0.1)
    return time.monotonic() - started
