"""`python -m tilsyn.sim.bench`: how fast the simulator runs, one `name value unit` per line.

Device-days per second: devices in the scenario times simulated days, per second of wall
time, for the full path to JSON envelopes (what a load test or a study over MQTT gets) and
for the container physics and firmware alone (what a routing study gets).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from tilsyn.sim.scenario import load_scenario
from tilsyn.sim.simulation import Simulation
from tilsyn.sim.waste_study import WasteStudy


def _timed(work: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = work()
    return time.perf_counter() - started, count


def _emissions(name: str, days: float, lorawan_format: str = "chirpstack") -> tuple[float, int]:
    scenario = load_scenario(name, 1)
    sim = Simulation(scenario, lorawan_format="tts" if lorawan_format == "tts" else "chirpstack")
    return _timed(lambda: sum(1 for _ in sim.run(duration=timedelta(days=days))))


def _line(name: str, value: float, unit: str) -> None:
    print(f"{name} {value:.1f} {unit}", flush=True)


def main() -> None:
    herning = load_scenario("herning", 1)
    devices = len(herning.containers)
    for fmt, days in (("chirpstack", 2.0), ("tts", 1.0)):
        seconds, count = _emissions("herning", days, fmt)
        suffix = "" if fmt == "chirpstack" else "_tts"
        _line(f"sim_herning_device_days{suffix}", devices * days / seconds, "device-days/s")
        _line(f"sim_herning_emissions{suffix}", count / seconds, "emissions/s")
    study = WasteStudy(herning, herning.default_start, collection="fixed")
    seconds, _ = _timed(lambda: len(study.advance(herning.default_start + timedelta(days=30))))
    _line("sim_herning_physics_device_days", devices * 30 / seconds, "device-days/s")
    _line("sim_herning_physics_30_days", seconds, "s")
    ward = load_scenario("ward", 1)
    seconds, count = _emissions("ward", 2.0)
    _line(
        "sim_ward_device_days",
        (len(ward.badges) + len(ward.dispensers)) * 2 / seconds,
        "device-days/s",
    )
    home = load_scenario("vaaler-home", 1)
    seconds, count = _emissions("vaaler-home", 10.0)
    _line("sim_vaaler_home_patient_days", len(home.patients) * 10 / seconds, "patient-days/s")


if __name__ == "__main__":
    main()
