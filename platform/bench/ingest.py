"""`make bench-ingest`: publish to commit through a real Mosquitto and PostgreSQL on this machine.

Prints the raw broker ceiling (publisher -> plain QoS 1 subscriber), then for single-reading
ChirpStack uplinks and for batched edge messages the sustained rate with the stored count checked
against the count sent, and publish-to-commit latency at a steady 1,000 msg/s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from tilsyn.broker.local import MosquittoBroker
from tilsyn.platform.bench import loadgen, workers
from tilsyn.platform.bench.report import figure, percentile
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.runtime import migrate

CONTAINERS = 1_000
HUBS = 50


def main() -> None:
    args = _arguments()
    work = Path(tempfile.mkdtemp(prefix="tilsyn-bench-"))
    work.chmod(0o755)
    try:
        with EmbeddedPostgres(work / "pg") as pg, MosquittoBroker(work / "mqtt") as broker:
            migrate(pg.url)
            devices, patients = _register_fleet(pg.url)
            ceiling = _raw_ceiling(broker.url, args.ceiling_messages, devices)
            figure("ingest_raw_broker_qos1", ceiling, "msg/s")
            uplinks = loadgen.LoadSpec("uplink", int(args.target_rate * args.seconds), None)
            run = _ingest_run(pg.url, broker.url, uplinks, devices, patients, args.workers)
            figure("ingest_uplinks_qos1", run["rate"], "msg/s")
            figure("ingest_uplinks_lost", run["lost"], "messages")
            figure("ingest_uplinks_vs_ceiling", 100 * run["rate"] / ceiling, "%")
            batches = loadgen.LoadSpec("edge", args.edge_messages, None, args.edge_readings)
            run = _ingest_run(pg.url, broker.url, batches, devices, patients, args.workers)
            figure("ingest_edge_batches", run["rate"], "msg/s")
            figure("ingest_edge_readings", run["rows_rate"], "readings/s")
            figure("ingest_edge_lost", run["lost"], "messages")
            steady = loadgen.LoadSpec(
                "uplink", int(1000 * args.latency_seconds), 1000.0, first_fcnt=1_000_000
            )
            run = _ingest_run(pg.url, broker.url, steady, devices, patients, args.workers)
            figure("ingest_latency_p50_at_1000", 1000 * percentile(run["latencies"], 0.5), "ms")
            figure("ingest_latency_p99_at_1000", 1000 * percentile(run["latencies"], 0.99), "ms")
            figure("ingest_latency_lost", run["lost"], "messages")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="sustained run at target")
    parser.add_argument("--target-rate", type=float, default=10_000.0)
    parser.add_argument("--ceiling-messages", type=int, default=200_000)
    parser.add_argument("--edge-messages", type=int, default=3_000)
    parser.add_argument("--edge-readings", type=int, default=500)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="ingest processes (shared sub)")
    return parser.parse_args()


def _register_fleet(database_url: str) -> tuple[list[str], list[tuple[str, str]]]:
    devices = [f"{0x24E1247100000000 + i:016x}" for i in range(CONTAINERS)]
    patients = [(f"bench-hub-{i}", f"bench-patient-{i}") for i in range(HUBS)]
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO devices (device_id, family, codec) VALUES (%s, %s, %s)",
            [(d, "container", "milesight-em310-udl") for d in devices]
            + [(h, "hub", "tilsyn-edge-v1") for h, _ in patients],
        )
        cur.executemany(
            "INSERT INTO containers (container_id, dev_eui, waste_kind, capacity_litres,"
            " empty_distance_mm, full_distance_mm, latitude, longitude)"
            " VALUES (%s, %s, 'residual', 660, 3000, 400, 56.14, 8.97)",
            [(f"bench-{i}", d) for i, d in enumerate(devices)],
        )
        cur.executemany(
            "INSERT INTO patients (patient_id, unit) VALUES (%s, 'bench')",
            [(p,) for _, p in patients],
        )
        cur.executemany(
            "INSERT INTO hubs (hub_id, unit) VALUES (%s, 'bench')", [(h,) for h, _ in patients]
        )
        cur.executemany("INSERT INTO hub_patients (hub_id, patient_id) VALUES (%s, %s)", patients)
    return devices, patients


def _raw_ceiling(mqtt_url: str, count: int, devices: list[str]) -> float:
    ctx = workers.spawn()
    results, ready = ctx.Queue(), ctx.Event()
    subscriber = ctx.Process(
        target=workers.plain_subscriber, args=(mqtt_url, count, ready, results)
    )
    subscriber.start()
    ready.wait(timeout=30)
    spec = loadgen.LoadSpec("uplink", count, None)
    publisher = ctx.Process(target=workers.publisher, args=(mqtt_url, spec, devices, [], results))
    publisher.start()
    outcome = [results.get(timeout=600), results.get(timeout=600)]
    publisher.join()
    subscriber.join()
    counted = next(r for r in outcome if "received" in r)
    return float(counted["received"] / counted["seconds"])


def _ingest_run(
    database_url: str,
    mqtt_url: str,
    spec: loadgen.LoadSpec,
    devices: list[str],
    patients: list[tuple[str, str]],
    worker_count: int,
) -> dict[str, Any]:
    ctx = workers.spawn()
    stop, results = ctx.Event(), ctx.Queue()
    # One worker runs as a single ingest does by default, on its own session; several share a
    # group, each with its catch-up session (ingest/catch_up.py), as deployed.
    group = f"bench{time.monotonic_ns()}" if worker_count > 1 else ""
    ingest = [
        ctx.Process(
            target=workers.ingest_worker, args=(database_url, mqtt_url, group, stop, results)
        )
        for _ in range(worker_count)
    ]
    for process in ingest:
        process.start()
    time.sleep(2.0)  # let the workers subscribe before the first message
    before = _stored_messages(database_url)
    publisher = ctx.Process(
        target=workers.publisher, args=(mqtt_url, spec, devices, patients, results)
    )
    publisher.start()
    published = results.get(timeout=3600)
    started = published["started"]
    stored = _wait_for_count(database_url, before + published["sent"]) - before
    stop.set()
    reports = [results.get(timeout=120) for _ in ingest]
    for process in [*ingest, publisher]:
        process.join()
    last_commit = max(r["last_commit"] for r in reports)
    seconds = last_commit - started
    rows = sum(r["rows"] for r in reports)
    return {
        "rate": stored / seconds,
        "rows_rate": rows / seconds,
        "lost": published["sent"] - stored,
        "latencies": [latency for r in reports for latency in r["latencies"]],
    }


def _stored_messages(database_url: str) -> int:
    """Messages stored: their idempotency keys, not the frame-counter keys beside them."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM ingest_keys WHERE key NOT LIKE 'fc:%'").fetchone()
    return int(row[0]) if row else 0


def _wait_for_count(database_url: str, expected: int, stall_seconds: float = 30.0) -> int:
    """Wait until `expected` messages are stored, or the count stops moving."""
    count, moved = _stored_messages(database_url), time.monotonic()
    while count < expected and time.monotonic() - moved < stall_seconds:
        time.sleep(0.5)
        newer = _stored_messages(database_url)
        if newer != count:
            count, moved = newer, time.monotonic()
    return count


if __name__ == "__main__":
    main()
