"""Envelopes carry exactly the fields the platform parses: ChirpStack v4 (default), The Things
Stack v3, and the edge agent's envelope for home hubs."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta

from fix_sim import run_days, small_town, ups

from tilsyn.codecs import decode
from tilsyn.codecs.fhir import parse_observation, parse_questionnaire_response
from tilsyn.sim import Simulation, load_scenario
from tilsyn.sim.lorawan.radio import CHANNELS_HZ

HEX16 = re.compile(r"[0-9a-f]{16}")
DEVICE_INFO = {
    "tenantId",
    "tenantName",
    "applicationId",
    "applicationName",
    "deviceProfileId",
    "deviceProfileName",
    "deviceName",
    "devEui",
    "tags",
}


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.utcoffset() is not None
    return moment


def test_chirpstack_up_events_carry_every_field():
    scenario = small_town()
    emissions = run_days(Simulation(scenario), 1)
    assert emissions and all(e.qos == 0 for e in emissions)
    profiles = {p.name: p for p in scenario.network.profiles.values()}
    for emission, event in zip(emissions, ups(emissions), strict=True):
        info = event["deviceInfo"]
        assert emission.topic == (
            f"application/{info['applicationId']}/device/{info['devEui']}/event/up"
        )
        assert uuid.UUID(event["deduplicationId"]).version == 4
        assert _aware(event["time"]) <= emission.at
        assert set(info) == DEVICE_INFO and HEX16.fullmatch(info["devEui"])
        assert re.fullmatch(r"[0-9a-f]{8}", event["devAddr"])
        assert event["adr"] is True and 0 <= event.get("dr", 0) <= 5
        profile = profiles[info["deviceProfileName"]]
        assert event["fPort"] == profile.f_port
        decode(profile.codec, base64.b64decode(event["data"]), event["fPort"])
        assert "confirmed" not in event or event["confirmed"] is True  # false is left out
        for rx in event["rxInfo"]:
            assert HEX16.fullmatch(rx["gatewayId"]) and rx["crcStatus"] == "CRC_OK"
            assert rx["rssi"] < 0 and -20 <= rx.get("snr", 0.0) <= 15
            assert {"latitude", "longitude"} <= set(rx["location"])
            assert isinstance(rx["uplinkId"], int)
        tx = event["txInfo"]
        assert tx["frequency"] in CHANNELS_HZ
        lora = tx["modulation"]["lora"]
        assert lora["bandwidth"] == 125_000 and 7 <= lora["spreadingFactor"] <= 12
        assert lora["codeRate"] == "CR_4_5"


def test_chirpstack_can_emit_default_values():
    events = ups(run_days(Simulation(small_town(), emit_defaults=True), 0.5))
    assert all("confirmed" in e and "fCnt" in e for e in events)
    assert all(e["deviceInfo"]["deviceClassEnabled"] == "CLASS_A" for e in events)
    assert any(e["confirmed"] is False for e in events)


def test_the_things_stack_uplinks_carry_every_field():
    scenario = small_town()
    emissions = run_days(Simulation(scenario, lorawan_format="tts"), 1)
    codec_of = {c.device_name: c.codec for c in scenario.containers}
    app = scenario.network.applications["herning-waste"]
    correlation = set()
    for emission in emissions:
        body = json.loads(emission.payload)
        ids = body["end_device_ids"]
        assert emission.topic == (
            f"v3/{app.tts_application_id}@{app.tts_tenant_id}/devices/{ids['device_id']}/up"
        )
        assert ids["application_ids"]["application_id"] == app.tts_application_id
        assert re.fullmatch(r"[0-9A-F]{16}", ids["dev_eui"])
        up = body["uplink_message"]
        decode(codec_of[ids["device_id"]], base64.b64decode(up["frm_payload"]), up["f_port"])
        assert up["f_cnt"] > 0 and up["rx_metadata"]
        for meta in up["rx_metadata"]:
            assert meta["gateway_ids"]["gateway_id"].startswith("gw-") and meta["rssi"] < 0
        assert int(up["settings"]["frequency"]) in CHANNELS_HZ
        assert up["settings"]["data_rate"]["lora"]["coding_rate"] == "4/5"
        assert abs(_aware(body["received_at"]) - emission.at) < timedelta(microseconds=2)
        (as_up,) = body["correlation_ids"]
        assert re.fullmatch(r"as:up:[0-9A-HJKMNP-TV-Z]{26}", as_up)
        correlation.add(as_up)
    assert len(correlation) == len(emissions)


def test_hub_envelopes_carry_fhir_resources():
    scenario = load_scenario("vaaler-home", 2)
    emissions = run_days(Simulation(scenario), 2)
    hubs = {h.hub_id for h in scenario.hubs}
    patients = {p.patient_id for p in scenario.patients}
    kinds = set()
    for emission in emissions:
        body = json.loads(emission.payload)
        assert emission.qos == 1 and emission.topic == f"tilsyn/edge/{body['hubId']}/up"
        assert body["hubId"] in hubs and uuid.UUID(body["messageId"]).version == 4
        sent = _aware(body["sentAt"])
        assert sent <= emission.at <= sent + timedelta(seconds=5)
        for entry in body["entries"]:
            if entry["resourceType"] == "Observation":
                observation = parse_observation(entry)
                kinds.add(observation.kind)
                assert observation.patient_id in patients
            else:
                response = parse_questionnaire_response(entry)
                assert response.patient_id in patients
    assert {"spo2", "heart_rate", "blood_pressure", "body_weight"} <= kinds
