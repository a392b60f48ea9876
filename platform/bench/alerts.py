"""Publish-to-alert latency: a full container's uplink through broker, ingest and the alert
engine, to the operator's live stream, while 1,000 other uplinks a second keep ingest busy.

The platform runs as `tilsyn serve` in a process of its own; each trigger is the first full
reading of a container, so each raises a new alert. Two runs: a steady background (fleets'
fills change over days, so ordinary uplinks raise nothing) and a churning one, in which the
background's own readings raise and clear hundreds of alerts a second: a storm, the worst case.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing.process
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tilsyn.broker.local import MosquittoBroker
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.auth.store import create_user
from tilsyn.platform.bench import loadgen, workers
from tilsyn.platform.bench.ingest import _register_fleet
from tilsyn.platform.bench.report import figure, percentile
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.runtime import migrate
from tilsyn.ports import free_port

FULL_DISTANCE_MM = 530  # 95 % in the bench fleet's geometry (empty 3000 mm, full 400 mm)


def main() -> None:
    args = _arguments()
    for fills, suffix in (("steady", ""), ("churning", "_churning")):
        latencies, changes_per_s = _run(args, fills)
        figure(f"alert_latency_p50_at_1000{suffix}", 1000 * percentile(latencies, 0.5), "ms")
        figure(f"alert_latency_p99_at_1000{suffix}", 1000 * percentile(latencies, 0.99), "ms")
        figure(f"alert_latency_alerts_missed{suffix}", args.triggers - len(latencies), "alerts")
        figure(f"alert_background_changes{suffix}", changes_per_s, "changes/s")


def _run(args: argparse.Namespace, fills: str) -> tuple[list[float], float]:
    """Latencies with a background of `fills` uplinks, and how many alert changes a second
    the background itself made (raised or resolved, the triggers' own left out)."""
    work = Path(tempfile.mkdtemp(prefix="tilsyn-bench-alerts-"))
    work.chmod(0o755)
    try:
        with EmbeddedPostgres(work / "pg") as pg, MosquittoBroker(work / "mqtt") as broker:
            migrate(pg.url)
            devices, _ = _register_fleet(pg.url)
            password = secrets.token_urlsafe(16)
            with psycopg.connect(pg.url) as conn:
                create_user(conn, "bench.operator", "operator", password)
            started = time.monotonic()
            latencies = _measure(pg.url, broker.url, devices, password, args, fills)
            elapsed = time.monotonic() - started
            with psycopg.connect(pg.url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM alert_history h JOIN alerts a USING (alert_id)"
                    " WHERE h.event IN ('raised', 'resolved') AND a.entity_id <> ALL(%s)",
                    ([f"bench-{i}" for i in range(args.triggers)],),
                ).fetchone()
        return latencies, (row[0] if row else 0) / elapsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triggers", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between triggers")
    parser.add_argument("--background-rate", type=float, default=1000.0)
    return parser.parse_args()


def _measure(
    database_url: str,
    mqtt_url: str,
    devices: list[str],
    password: str,
    args: argparse.Namespace,
    fills: str,
) -> list[float]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MQTT_URL": mqtt_url,
        "TILSYN_HTTP_PORT": str(port),
    }
    tilsyn = Path(sys.executable).parent / "tilsyn"
    server = subprocess.Popen(
        [str(tilsyn), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        token = _sign_in(base, password)
        received: dict[str, float] = {}
        reader = threading.Thread(target=_read_stream, args=(base, token, received), daemon=True)
        reader.start()
        time.sleep(1.0)
        background, _results = _background(mqtt_url, devices[args.triggers :], args, fills)
        sent = _trigger(mqtt_url, devices[: args.triggers], args.interval)
        deadline = time.monotonic() + 10
        while len(received) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not background.is_alive():  # the figure is "at 1000 msg/s": no load, no figure
            raise SystemExit(f"the background load ended early (exit {background.exitcode})")
        background.terminate()
        return [received[c] - sent[c] for c in sent if c in received]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _sign_in(base: str, password: str) -> str:
    for _ in range(100):
        try:
            response = httpx.post(
                f"{base}/api/auth/token", json={"username": "bench.operator", "password": password}
            )
            return str(response.json()["token"])
        except (httpx.HTTPError, KeyError):
            time.sleep(0.2)
    raise RuntimeError("the platform did not start")


def _read_stream(base: str, token: str, received: dict[str, float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        contextlib.suppress(httpx.HTTPError),  # the server stops at the end of the run
        httpx.stream("GET", f"{base}/api/alerts/stream", headers=headers, timeout=None) as s,
    ):
        for line in s.iter_lines():
            if line.startswith("data: "):
                payload = json.loads(line[6:])
                if payload["event"] == "raised" and payload["alert"]["rule"] == "full":
                    received.setdefault(payload["alert"]["entity_id"], time.time())


def _background(
    mqtt_url: str, devices: list[str], args: argparse.Namespace, fills: str
) -> tuple[multiprocessing.process.BaseProcess, Any]:
    """The publishing process and its results queue, which must live as long as it does (a
    queue collected here leaves the child nothing to unpickle, and no load at all)."""
    duration = args.triggers * args.interval + 15
    spec = loadgen.LoadSpec(
        "uplink", int(args.background_rate * duration), args.background_rate, fills=fills
    )
    results = workers.spawn().Queue()
    process = workers.spawn().Process(
        target=workers.publisher, args=(mqtt_url, spec, devices, [], results)
    )
    process.start()
    time.sleep(3.0)  # let the background load settle first
    return process, results


def _trigger(mqtt_url: str, devices: list[str], interval: float) -> dict[str, float]:
    """One full reading per container; the reading's time is its publish time."""
    connection = MqttConnection(mqtt_url, f"bench-trigger-{secrets.token_hex(3)}")
    connection.connect()
    sent: dict[str, float] = {}
    for i, dev_eui in enumerate(devices):
        topic, body = loadgen.uplink(dev_eui, 1_000_000 + i, FULL_DISTANCE_MM)
        sent[f"bench-{i}"] = datetime.fromisoformat(
            json.loads(body)["time"].replace("Z", "+00:00")
        ).timestamp()
        connection.publish(topic, body, qos=1)
        time.sleep(interval)
    connection.close()
    return sent


if __name__ == "__main__":
    main()
