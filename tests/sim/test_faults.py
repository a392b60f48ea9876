"""Each fault on demand produces what it claims, in the data the platform receives."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from fix_sim import payload, run_days, small_town, ups

from tilsyn.codecs import DecodeError, decode
from tilsyn.sim import Simulation, load_scenario

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def town():
    return small_town(7)


def _pick(scenario, codec: str, kind: str | None = None):
    return next(c for c in scenario.containers if c.codec == codec and kind in (None, c.waste_kind))


def _device_events(sim, spec, days: float = 2.0):
    events = [e for e in ups(run_days(sim, days)) if e["deviceInfo"]["devEui"] == spec.dev_eui]
    for event in events:
        event["_fields"] = decode(spec.codec, payload(event), event["fPort"])
    return events


def _window(scenario, start_h: float, end_h: float):
    start = scenario.default_start + start_h * HOUR
    return start, scenario.default_start + end_h * HOUR


def _inside(event, start, end) -> bool:
    return start <= event["_at"] < end


def test_stuck_sensor_repeats_one_reading(town):
    spec = _pick(town, "milesight-em310-udl", "residual")
    sim = Simulation(town)
    start, end = _window(town, 6, 30)
    sim.inject_fault("stuck", spec.container_id, start, end)
    events = _device_events(sim, spec)
    during = {e["_fields"]["distance_mm"] for e in events if _inside(e, start + HOUR, end)}
    after = {e["_fields"]["distance_mm"] for e in events if e["_at"] > end + HOUR}
    assert len(during) == 1 and len(after) > 1


def test_noise_scatters_the_readings(town):
    spec = _pick(town, "milesight-em310-udl", "glass")
    sim = Simulation(town)
    start, end = _window(town, 12, 36)
    sim.inject_fault("noise", spec.container_id, start, end, magnitude=200)
    events = _device_events(sim, spec)
    during = [e["_fields"]["distance_mm"] for e in events if _inside(e, start, end)]
    before = [e["_fields"]["distance_mm"] for e in events if e["_at"] < start]
    assert np.std(np.diff(during)) > 120 > 30 > np.std(np.diff(before))


def test_tilt_raises_a_confirmed_alarm_and_then_the_all_clear(town):
    spec = _pick(town, "milesight-em310-udl", "residual")
    sim = Simulation(town)
    start, end = _window(town, 10, 14)
    sim.inject_fault("tilt", spec.container_id, start, end)
    events = _device_events(sim, spec, 1)
    tilted = [e for e in events if e["_fields"]["tilt"]]
    assert tilted[0]["confirmed"] is True
    assert abs((tilted[0]["_at"] - start).total_seconds()) < 5
    assert all(_inside(e, start, end) for e in tilted)
    clear = next(e for e in events if e["_at"] > end)
    assert clear["_fields"]["tilt"] is False and (clear["_at"] - end).total_seconds() < 5


def test_fire_spikes_the_temperature_and_repeats_the_alarm(town):
    spec = _pick(town, "milesight-em400-udl")
    sim = Simulation(town)
    start, end = _window(town, 20, 23)
    sim.inject_fault("fire", spec.container_id, start, end, magnitude=150)
    events = _device_events(sim, spec, 1.5)
    alarms = [e for e in events if e["_fields"].get("temperature_alarm") is True]
    assert alarms[0]["confirmed"] is True and (alarms[0]["_at"] - start) < timedelta(minutes=20)
    assert len(alarms) >= 10  # every 15-minute sample while it burns
    assert max(e["_fields"]["temperature_c"] for e in alarms) > 140
    released = [e for e in events if e["_fields"].get("temperature_alarm") is False]
    assert len(released) == 1 and released[0]["_at"] > end
    normal = [e["_fields"]["temperature_c"] for e in events if e["_at"] < start]
    assert max(normal) < 25


def test_clock_drift_shortens_every_interval_of_the_device(town):
    spec = _pick(town, "dragino-ldds75")
    sim = Simulation(town)
    start, end = _window(town, 0, 48)
    sim.inject_fault("clock_drift", spec.container_id, start, end, magnitude=50_000)
    times = [e["_at"].timestamp() for e in _device_events(sim, spec)]
    sample_s = 900 / 1.05
    gaps = np.diff(times)
    assert len(gaps) >= 10
    assert np.allclose(gaps / sample_s, np.round(gaps / sample_s), atol=0.01)
    assert not np.allclose(gaps / 900, np.round(gaps / 900), atol=0.01)


def test_duplicate_delivery_repeats_the_same_event(town):
    spec = _pick(town, "milesight-em310-udl")
    sim = Simulation(town)
    start, end = _window(town, 0, 24)
    sim.inject_fault("duplicate", spec.container_id, start, end)
    events = _device_events(sim, spec, 1)
    copies = Counter(e["deduplicationId"] for e in events)
    assert set(copies.values()) == {2}
    first = {}
    for event in events:
        body = {k: v for k, v in event.items() if not k.startswith("_")}
        assert first.setdefault(event["deduplicationId"], body) == body


def test_out_of_order_delivery_lets_later_uplinks_overtake(town):
    spec = _pick(town, "milesight-em310-udl", "residual")
    sim = Simulation(town)
    start, end = _window(town, 0, 12)
    sim.inject_fault("out_of_order", spec.container_id, start, end, magnitude=6 * 3600)
    events = _device_events(sim, spec, 2)
    delivered = [e["fCnt"] for e in events]
    assert delivered != sorted(delivered)
    assert len(set(delivered)) == len(delivered)  # late, but nothing lost or doubled


def test_replay_repeats_an_old_frame_under_a_new_id(town):
    spec = _pick(town, "milesight-em310-udl", "glass")
    sim = Simulation(town)
    start, end = _window(town, 0, 24)
    sim.inject_fault("replay", spec.container_id, start, end)
    events = _device_events(sim, spec, 2)
    by_counter: dict[int, list] = {}
    for event in events:
        by_counter.setdefault(event["fCnt"], []).append(event)
    replayed = [pair for pair in by_counter.values() if len(pair) == 2]
    assert replayed
    for original, copy in replayed:
        assert original["data"] == copy["data"]
        assert original["deduplicationId"] != copy["deduplicationId"]
        assert copy["time"] > original["time"]


def test_corrupt_payloads_are_rejected_by_the_decoder(town):
    for codec in ("milesight-em310-udl", "milesight-em400-udl", "dragino-ldds75"):
        spec = _pick(town, codec)
        sim = Simulation(town)
        start, end = _window(town, 0, 24)
        sim.inject_fault("corrupt", spec.container_id, start, end)
        events = [e for e in ups(run_days(sim, 2)) if e["deviceInfo"]["devEui"] == spec.dev_eui]
        damaged = [e for e in events if e["_at"] < end - timedelta(seconds=5)]
        assert damaged
        for event in damaged:
            with pytest.raises(DecodeError):
                decode(codec, payload(event), event["fPort"])
        for event in events:
            if event["_at"] > end + timedelta(seconds=5):
                decode(codec, payload(event), event["fPort"])


def test_faults_on_hubs():
    scenario = load_scenario("vaaler-home", 4)
    hub = scenario.hubs[0].hub_id
    start = scenario.default_start
    sim = Simulation(scenario)
    sim.inject_fault("duplicate", hub, start, start + timedelta(days=2))
    sim.inject_fault("clock_drift", hub, start, start + timedelta(days=3), magnitude=10_000)
    sim.inject_fault("corrupt", hub, start + timedelta(days=2), start + timedelta(days=3))
    mine = [e for e in run_days(sim, 3) if e.topic == f"tilsyn/edge/{hub}/up"]
    early = [e for e in mine if e.at < start + timedelta(days=2)]
    ids = Counter(json.loads(e.payload)["messageId"] for e in early)
    assert ids and set(ids.values()) == {2}
    late = [e for e in mine if e.at > start + timedelta(days=2, minutes=5)]
    assert late
    for emission in late:
        with pytest.raises(json.JSONDecodeError):
            json.loads(emission.payload)
    drift = [
        (datetime_of(json.loads(e.payload)["sentAt"]) - e.at).total_seconds() for e in early[::2]
    ]
    assert drift[-1] > drift[0] + 60  # 1 % fast: minutes ahead after a day or two


def datetime_of(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_clock_drift_moves_the_time_a_dispenser_writes_into_its_payload():
    scenario = load_scenario("ward", 2)
    dispenser = scenario.dispensers[0]
    start = scenario.default_start
    sim = Simulation(scenario)
    sim.inject_fault("clock_drift", dispenser.device_name, start, start + timedelta(days=1), 20_000)
    lead = []
    for event in ups(run_days(sim, 1)):
        if event["deviceInfo"]["devEui"] == dispenser.dev_eui:
            status = decode("tilsyn-hygiene-v1", payload(event))
            sent = datetime_of(event["time"]).timestamp()
            lead.append(status["time"] + dispenser.reporting_interval_s - sent)
    assert abs(lead[0]) < 30  # a status covers the interval before it is sent
    assert lead[-1] == pytest.approx(0.02 * 86_400, rel=0.1)  # 2 % fast for a day


def test_sensor_faults_need_a_fill_sensor():
    scenario = load_scenario("ward", 2)
    sim = Simulation(scenario)
    start = scenario.default_start
    with pytest.raises(ValueError):
        sim.inject_fault("stuck", scenario.dispensers[0].dev_eui, start, start + HOUR)
    with pytest.raises(KeyError):
        sim.inject_fault("duplicate", "no-such-device", start, start + HOUR)
