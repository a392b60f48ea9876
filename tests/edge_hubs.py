"""Home hubs for end-to-end tests and drills: the real edge agent as a process (`tilsyn edge
run`) on the simulator's patients, what it should have measured (recomputed from the seed and the
schedule up to its cursor), what the platform stored of it, and what `tilsyn edge status` says."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from tilsyn.edge.agent import saved_cursor
from tilsyn.edge.schedule import due
from tilsyn.edge.sim_source import SimulatedSource
from tilsyn.edge.sources import reading_id
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

SCENARIO, SEED = "vaaler-home", 1
FAST = 345_600.0  # simulated seconds per second: four days a second


def patients_of(hub_id: str) -> list[str]:
    return list(SimulatedSource(SCENARIO, SEED, hub_id).patients())


def register_hubs(database_url: str, hubs: tuple[str, ...]) -> None:
    with psycopg.connect(database_url) as conn:
        for hub_id in hubs:
            patients = patients_of(hub_id)
            for patient_id in patients:
                register_patient(conn, PatientIn(patient_id=patient_id, unit="Våler"))
            register_hub(conn, HubIn(hub_id=hub_id, unit="Våler", patient_ids=patients))


def start_agent(
    hub_id: str, mqtt_url: str, work: Path, *extra: str, prefix: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """`tilsyn edge run` for `hub_id`, its data in work/hub_id; `prefix` wraps the command
    (such as `ip netns exec NAME`)."""
    command = [*prefix, sys.executable, "-m", "tilsyn.edge", "edge", "run", "--hub-id", hub_id]
    command += ["--mqtt-url", mqtt_url, "--data-dir", str(work / hub_id), "--seed", str(SEED)]
    command += ["--scenario", SCENARIO, "--speed", str(FAST), "--health-interval", "1", *extra]
    with (work / f"{hub_id}.log").open("ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=log)


def stop_agent(agent: subprocess.Popen[bytes]) -> None:
    if agent.poll() is None:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


def status(data_dir: Path, name: str) -> str | None:
    """One line of `tilsyn edge status`; None before the agent made its database."""
    done = subprocess.run(
        [sys.executable, "-m", "tilsyn.edge", "edge", "status", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        if line.startswith(f"{name} "):
            return line.removeprefix(name).strip()
    raise AssertionError(f"`tilsyn edge status` has no {name!r} line:\n{done.stdout}")


def queue_depth(data_dir: Path) -> int | None:
    value = status(data_dir, "queue depth")
    return None if value is None else int(value)


def dropped_full(data_dir: Path) -> int:
    return int(status(data_dir, "dropped queue_full") or 0)


def expected(hub_id: str, data_dir: Path) -> dict[str, tuple[str, float]]:
    """reading id -> (kind, instant) of everything the agent measured up to its cursor."""
    source = SimulatedSource(SCENARIO, SEED, hub_id)
    end = saved_cursor(data_dir)
    assert end is not None, "the agent never measured"
    zone = ZoneInfo(source.timezone)
    return {
        reading_id(hub_id, patient_id, kind, at): (kind, at)
        for patient_id in source.patients()
        for at, kind in due(source.default_schedule(patient_id), zone, source.start, end)
    }


def stored(database_url: str, hub_id: str) -> dict[str, int]:
    """observation id -> rows stored (a blood-pressure panel is two rows)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT observation_id, count(*) FROM vital_observations WHERE hub_id = %s"
            " GROUP BY observation_id",
            (hub_id,),
        ).fetchall()
    return {str(observation): int(count) for observation, count in rows}


def rows_of(kind: str) -> int:
    return 2 if kind == "blood_pressure" else 1
