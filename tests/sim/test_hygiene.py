"""Hand hygiene: the compliance a platform computes from the badges' uplinks reproduces the
scenario's probability per ward and zone type (times the badges' detection rate)."""

from __future__ import annotations

import base64
import bisect
import json
from collections import defaultdict
from datetime import timedelta

import pytest

from tilsyn.codecs import decode
from tilsyn.sim import Simulation, load_scenario

DAYS = 5
MOMENTS = {"patient_zone": ("entry", "exit"), "clean_room": ("entry",), "unclean_room": ("exit",)}


@pytest.fixture(scope="module")
def ward_run():
    scenario = load_scenario("ward", seed=11)
    sim = Simulation(scenario)
    emissions = list(sim.run(duration=timedelta(days=DAYS)))
    return scenario, sim, _decoded(emissions)


def _decoded(emissions):
    """Each distinct uplink once (a platform drops repeated deduplication ids and counters)."""
    seen, found = set(), []
    for emission in emissions:
        if not emission.topic.endswith("/event/up"):
            continue
        event = json.loads(emission.payload)
        key = (event["deviceInfo"]["devEui"], event.get("fCnt", 0))
        if key in seen:
            continue
        seen.add(key)
        fields = decode("tilsyn-hygiene-v1", base64.b64decode(event["data"]))
        found.append((event["deviceInfo"], fields, event.get("fCnt", 0)))
    return found


def _observed_compliance(scenario, decoded) -> dict[tuple[str, str], tuple[int, int]]:
    """(ward, zone type) -> (compliant, opportunities), by the rule documented in WardSpec."""
    wards = {b.dev_eui: b.ward for b in scenario.badges}
    window = {w.ward_id: w.compliance_window_s for w in scenario.wards}
    events, dispenses = defaultdict(list), defaultdict(list)
    for info, fields, _ in decoded:
        if fields["message"] != "badge_events":
            continue
        assert set(fields) == {"message", "time", "role", "events"}  # no identity on a badge
        for event in fields["events"]:
            at = fields["time"] + event["offset_s"]
            target = dispenses if event["event"] == "dispense" else events
            target[info["devEui"]].append((at, event["event"], event["zone"]))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for badge, entries in events.items():
        uses = sorted(at for at, _, _ in dispenses[badge])
        limit = window[wards[badge]]
        for at, moment, zone in entries:
            if moment not in MOMENTS[zone]:
                continue
            low, high = (at - limit, at) if moment == "entry" else (at, at + limit)
            compliant = bisect.bisect_right(uses, high) > bisect.bisect_left(uses, low)
            tally = counts[(wards[badge], zone)]
            tally[0] += compliant
            tally[1] += 1
    return {key: (c, n) for key, (c, n) in counts.items()}


def test_observed_compliance_matches_the_parameters(ward_run):
    scenario, _, decoded = ward_run
    observed = _observed_compliance(scenario, decoded)
    for ward in scenario.wards:
        for zone, probability in ward.compliance.items():
            compliant, opportunities = observed[(ward.ward_id, zone)]
            assert opportunities >= 150
            expected = probability * ward.badge_detection_probability
            standard_error = (expected * (1 - expected) / opportunities) ** 0.5
            assert compliant / opportunities == pytest.approx(expected, abs=4 * standard_error)


def test_ground_truth_opportunities_agree_with_what_badges_report(ward_run):
    scenario, sim, decoded = ward_run
    truth = sim.hygiene.opportunities
    observed = _observed_compliance(scenario, decoded)
    total_observed = sum(n for _, n in observed.values())
    assert abs(len(truth) - total_observed) <= 0.02 * len(truth)  # badges still buffering


def test_dispensers_count_more_uses_than_badges_see(ward_run):
    scenario, _, decoded = ward_run
    by_badges = sum(
        1
        for _, fields, _ in decoded
        if fields["message"] == "badge_events"
        for event in fields["events"]
        if event["event"] == "dispense"
    )
    statuses = [f for _, f, _ in decoded if f["message"] == "dispenser_status"]
    by_dispensers = sum(len(f["uses"]) for f in statuses)
    assert by_dispensers > by_badges  # patients and visitors use them too
    assert all(0 <= f["refill_percent"] <= 100 for f in statuses)
    per_device = defaultdict(list)
    for info, fields, counter in decoded:
        if fields["message"] == "dispenser_status":
            per_device[info["devEui"]].append((counter, fields["use_count"]))
    for sent in per_device.values():
        counts = [count for _, count in sorted(sent)]  # in the order the device sent them
        assert counts == sorted(counts)
    assert len(per_device) == len(scenario.dispensers)
