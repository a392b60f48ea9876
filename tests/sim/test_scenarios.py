"""Scenario files become the records the platform's registry needs, with the advertised sizes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from tilsyn.sim import load_scenario, scenario_names
from tilsyn.sim.scenario.geo import distance_m

HERNING = (56.1393, 8.9740)


def test_the_four_scenarios_are_shipped():
    assert scenario_names() == ["herning", "trondheim-night", "vaaler-home", "ward"]
    with pytest.raises(KeyError):
        load_scenario("atlantis", 1)


def test_herning_has_a_thousand_containers_in_town():
    scenario = load_scenario("herning", 1)
    assert len(scenario.containers) == 1000
    kinds = Counter(c.waste_kind for c in scenario.containers)
    assert kinds == {k: p.count for k, p in scenario.waste_kinds.items()}
    assert len({c.dev_eui for c in scenario.containers}) == 1000
    assert len({c.container_id for c in scenario.containers}) == 1000
    assert all(distance_m(c.lat, c.lon, *HERNING) < 7000 for c in scenario.containers)
    assert {c.codec for c in scenario.containers} == {
        "milesight-em310-udl",
        "milesight-em400-udl",
        "dragino-ldds75",
    }
    for spec in scenario.containers:
        prefix = "a84041" if spec.codec == "dragino-ldds75" else "24e124"
        assert spec.dev_eui.startswith(prefix) and spec.empty_distance_mm > spec.full_distance_mm


def test_glass_and_paper_stand_together_at_recycling_points():
    scenario = load_scenario("herning", 1)
    sites: dict[str, set[str]] = {}
    for spec in scenario.containers:
        sites.setdefault(spec.site_id, set()).add(spec.waste_kind)
    points = [kinds for site, kinds in sites.items() if site.startswith("rp-")]
    streets = [kinds for site, kinds in sites.items() if site.startswith("st-")]
    assert sum(kinds == {"glass", "paper"} for kinds in points) > 0.6 * len(points)
    assert all(kinds == {"residual"} for kinds in streets)
    for site in {c.site_id for c in scenario.containers}:
        members = [c for c in scenario.containers if c.site_id == site]
        if site.startswith("rp-"):
            assert (
                max(distance_m(a.lat, a.lon, b.lat, b.lon) for a in members for b in members) < 40
            )


def test_every_container_is_on_the_fixed_plan():
    scenario = load_scenario("herning", 1)
    planned = {slot.container_id: slot for slot in scenario.collection.slots}
    assert set(planned) == {c.container_id for c in scenario.containers}
    for spec in scenario.containers:
        slot = planned[spec.container_id]
        days = scenario.waste_kinds[spec.waste_kind].collection_interval_days
        assert slot.interval_weeks * 7 == days and 0 <= slot.weekday <= 4


def test_trondheim_night_has_six_units_of_eight_locations_and_two_nurses():
    scenario = load_scenario("trondheim-night", 1)
    assert len(scenario.units) == 6 and len(scenario.nurses) == 2
    per_unit = Counter(location.unit_id for location in scenario.locations)
    assert set(per_unit.values()) == {8}
    residents = Counter()
    for location in scenario.locations:
        residents[location.kind] += location.residents
    assert residents == {"nursing_home": 350, "care_home": 100}
    hubs = {h.hub_id for h in scenario.hubs}
    assert all(p.hub_id in hubs and p.location_id for p in scenario.patients)


def test_night_tasks_are_fixed_by_seed_and_night_and_fit_the_shift():
    scenario = load_scenario("trondheim-night", 1)
    night = date(2025, 3, 3)
    tasks = scenario.night_tasks.tasks(night)
    assert tasks == load_scenario("trondheim-night", 1).night_tasks.tasks(night)
    assert tasks != scenario.night_tasks.tasks(night + timedelta(days=1))
    locations = {location.location_id for location in scenario.locations}
    start = scenario.default_start.replace(hour=22).timestamp()
    for task in tasks:
        assert task.location_id in locations
        assert start <= task.earliest < task.latest <= start + 9.5 * 3600 + 1


def test_vaaler_patients_have_personal_plans():
    scenario = load_scenario("vaaler-home", 1)
    assert len(scenario.patients) == 60 and len(scenario.hubs) == 60
    for patient in scenario.patients:
        assert patient.measurements and 0.45 <= patient.adherence <= 1.0
        for plan in patient.measurements:
            for part, bounds in plan.thresholds.items():
                usual = patient.baseline[plan.kind if part == "value" else part]
                assert bounds.colour(usual) == "green"
        if "copd" in patient.conditions:
            spo2 = next(p for p in patient.measurements if p.kind == "spo2")
            limits = spo2.thresholds["value"]
            assert limits.colour(patient.baseline["spo2"] - 4) == "yellow"
            assert limits.colour(patient.baseline["spo2"] - 6) == "red"


def test_ward_devices_are_anonymous_and_complete():
    scenario = load_scenario("ward", 1)
    assert len(scenario.dispensers) == len(scenario.zones) == 24
    assert {z.zone_type for z in scenario.zones} == {"patient_zone", "clean_room", "unclean_room"}
    staffing = sum(n for shift in scenario.wards[0].shifts for n in shift.staffing.values())
    assert len(scenario.badges) == staffing
    assert all(
        set(vars(b) if hasattr(b, "__dict__") else b.__slots__)
        == {"dev_eui", "device_name", "ward", "role"}
        for b in scenario.badges
    )


def test_overrides_and_scenario_files_by_path(tmp_path):
    small = load_scenario("herning", 1, {"kinds": {"glass": {"count": 3}}})
    assert Counter(c.waste_kind for c in small.containers)["glass"] == 3
    source = tmp_path / "mini.toml"
    text = (load_scenario.__globals__["SCENARIO_DIR"] / "ward.toml").read_text(encoding="utf-8")
    source.write_text(
        text + '\n[[faults]]\nkind = "corrupt"\ndevice = "m3-badge-001"\n'
        "start_hours = 1\nend_hours = 2\n",
        encoding="utf-8",
    )
    scenario = load_scenario(str(source), 1)
    (fault,) = scenario.faults
    assert fault.kind == "corrupt" and fault.end - fault.start == 3600
