"""The LoRaWAN side: frame counters, confirmed retransmission, de-duplication over several
gateways, and configuration downlinks."""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter, defaultdict
from datetime import timedelta

from fix_sim import payload, run_days, small_town, ups

from tilsyn.codecs import decode
from tilsyn.sim import Simulation


def test_frame_counters_increase_and_payloads_decode():
    scenario = small_town()
    events = ups(run_days(Simulation(scenario), 2))
    codec_of = {c.dev_eui: c.codec for c in scenario.containers}
    counters = defaultdict(list)
    for event in sorted(events, key=lambda e: e["time"]):
        eui = event["deviceInfo"]["devEui"]
        counters[eui].append(event.get("fCnt", 0))
        decoded = decode(codec_of[eui], payload(event), event["fPort"])
        assert 250 <= decoded["distance_mm"] <= 1750
    assert len(counters) == len(scenario.containers)
    for sequence in counters.values():
        assert all(b > a for a, b in itertools.pairwise(sequence))


def test_one_uplink_heard_by_several_gateways_is_one_event():
    events = ups(run_days(Simulation(small_town()), 1))
    ids = Counter(e["deduplicationId"] for e in events)
    assert max(ids.values()) == 1
    gateways = [len(e["rxInfo"]) for e in events]
    assert min(gateways) >= 1 and max(gateways) >= 2
    for event in events:
        heard_by = [rx["gatewayId"] for rx in event["rxInfo"]]
        assert len(set(heard_by)) == len(heard_by)


def test_unacknowledged_confirmed_uplinks_are_retransmitted_and_logged():
    scenario = small_town(5, {"lorawan": {"radio": {"ack_loss_probability": 0.9}}})
    sim = Simulation(scenario)
    device = scenario.containers[0]
    start = scenario.default_start
    for hour in range(0, 24, 3):  # eight knock-overs: each raises a confirmed tilt alarm
        at = start + timedelta(hours=hour, minutes=7)
        sim.inject_fault("tilt", device.container_id, at, at + timedelta(minutes=40))
    emissions = run_days(sim, 1)
    mine = [e for e in emissions if device.dev_eui in e.topic]
    alarms = [e for e in ups(mine) if e.get("confirmed")]
    logs = [json.loads(e.payload) for e in mine if e.topic.endswith("/event/log")]
    assert len(alarms) >= 6
    assert len(logs) >= 6, "retransmissions of frames already received are only logged"
    assert {log["code"] for log in logs} == {"UPLINK_F_CNT_RETRANSMISSION"}
    counters = Counter(e["fCnt"] for e in ups(mine))
    assert max(counters.values()) == 1, "a retransmission is never a second up event"


def test_reporting_interval_downlink_is_applied_after_the_next_uplink():
    scenario = small_town()
    glass = next(
        c for c in scenario.containers if c.waste_kind == "glass" and c.codec.endswith("em310-udl")
    )
    plain, configured = Simulation(scenario), Simulation(scenario)
    configured.run(duration=timedelta(0))
    configured.set_reporting_interval(glass.container_id, 1200)
    count = {}
    for name, sim in (("plain", plain), ("configured", configured)):
        events = ups(run_days(sim, 1))
        count[name] = sum(1 for e in events if e["deviceInfo"]["devEui"] == glass.dev_eui)
    assert count["plain"] <= 12
    assert count["configured"] >= 50  # every 20 minutes once the downlink arrived


def test_downlink_commands_in_chirpstack_and_tts_form():
    scenario = small_town()
    dragino = next(c for c in scenario.containers if c.codec == "dragino-ldds75")
    app = scenario.network.applications["herning-waste"]
    chirpstack = json.dumps(
        {
            "devEui": dragino.dev_eui,
            "confirmed": True,
            "fPort": 1,
            "data": base64.b64encode(bytes([1, 0, 4, 176])).decode(),
        }
    ).encode()
    tts = json.dumps(
        {
            "downlinks": [
                {"f_port": 1, "frm_payload": base64.b64encode(bytes([1, 0, 4, 176])).decode()}
            ]
        }
    ).encode()
    for topic, body in (
        (f"application/{app.application_id}/device/{dragino.dev_eui}/command/down", chirpstack),
        (
            f"v3/{app.tts_application_id}@{app.tts_tenant_id}/devices/{dragino.device_name}/down/push",
            tts,
        ),
    ):
        sim = Simulation(scenario)
        sim.run(duration=timedelta(0))
        sim.handle_command(topic, body)
        events = [e for e in ups(run_days(sim, 1)) if e["deviceInfo"]["devEui"] == dragino.dev_eui]
        assert len(events) >= 50, topic  # 1200 s (0x0004B0) after the first uplink
