"""What the simulator sends, the platform stores: every family, both LoRaWAN integrations."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from direct_ingest import store
from fix_sim import small_town

from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.writer import BatchResult
from tilsyn.platform.registry.models import (
    BadgeIn,
    DispenserIn,
    HubIn,
    PatientIn,
    WardIn,
    ZoneIn,
)
from tilsyn.platform.registry.store import (
    register_badge,
    register_dispenser,
    register_hub,
    register_patient,
    register_ward,
)
from tilsyn.sim import Simulation, load_scenario

pytestmark = pytest.mark.integration


def _ingest(database_url: str, emissions: list[tuple[str, bytes]]) -> BatchResult:
    return store(database_url, *emissions)


@pytest.mark.parametrize("lorawan_format", ["chirpstack", "tts"])
def test_a_day_of_the_small_town_is_stored_whole(database_url: str, lorawan_format: str) -> None:
    scenario = small_town()
    with psycopg.connect(database_url) as conn:
        for c in scenario.containers:
            register_container(
                conn,
                ContainerIn(
                    container_id=c.container_id,
                    dev_eui=c.dev_eui,
                    codec=c.codec,
                    waste_kind=c.waste_kind,
                    capacity_litres=c.capacity_litres,
                    empty_distance_mm=c.empty_distance_mm,
                    full_distance_mm=c.full_distance_mm,
                    latitude=c.lat,
                    longitude=c.lon,
                ),
            )
    sim = Simulation(scenario, lorawan_format=lorawan_format)  # type: ignore[arg-type]
    emissions = [(e.topic, e.payload) for e in sim.run(duration=timedelta(days=1))]
    uplinks = [e for e in emissions if e[0].endswith("/up")]
    result = _ingest(database_url, uplinks)
    assert result.dead_letters == 0 and result.quarantined == 0
    assert result.stored == len(uplinks) > 20
    with psycopg.connect(database_url) as conn:
        reporting = conn.execute("SELECT count(*) FROM container_latest").fetchone()
    assert reporting == (len(scenario.containers),)


def test_home_hubs_of_vaaler_are_stored(database_url: str) -> None:
    scenario = load_scenario("vaaler-home", 3)
    with psycopg.connect(database_url) as conn:
        for patient in scenario.patients:
            register_patient(conn, PatientIn(patient_id=patient.patient_id, unit=patient.unit))
        for hub in scenario.hubs:
            register_hub(
                conn, HubIn(hub_id=hub.hub_id, unit=hub.unit, patient_ids=list(hub.patient_ids))
            )
    emissions = [(e.topic, e.payload) for e in Simulation(scenario).run(duration=timedelta(days=2))]
    result = _ingest(database_url, emissions)
    assert result.dead_letters == 0 and result.quarantined == 0
    assert result.stored == len(emissions) > 0
    with psycopg.connect(database_url) as conn:
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM vital_observations")}
    assert {"systolic_bp", "spo2", "heart_rate"} <= kinds


def test_a_ward_day_becomes_dispenser_data_and_compliance_counts(database_url: str) -> None:
    scenario = load_scenario("ward", 2)
    with psycopg.connect(database_url) as conn:
        for ward in scenario.wards:
            zones = [
                ZoneIn(zone_id=z.zone_id, room_id=z.room_id, zone_type=z.zone_type, name=z.name)
                for z in scenario.zones
                if z.ward == ward.ward_id
            ]
            register_ward(conn, WardIn(ward_id=ward.ward_id, name=ward.name, zones=zones))
        for d in scenario.dispensers:
            register_dispenser(
                conn,
                DispenserIn(
                    dev_eui=d.dev_eui,
                    ward_id=d.ward,
                    dispenser_id=d.dispenser_id,
                    zone_id=d.zone_id,
                    room_id=d.room_id,
                ),
            )
        for b in scenario.badges:
            register_badge(conn, BadgeIn(dev_eui=b.dev_eui, ward_id=b.ward, role=b.role))
    emissions = [
        (e.topic, e.payload)
        for e in Simulation(scenario).run(duration=timedelta(days=1))
        if e.topic.endswith("/up")
    ]
    result = _ingest(database_url, emissions)
    assert result.dead_letters == 0 and result.quarantined == 0
    with psycopg.connect(database_url) as conn:
        counted = conn.execute(
            "SELECT sum(opportunities), sum(met) FROM hygiene_compliance_daily"
        ).fetchone()
        statuses = conn.execute("SELECT count(*) FROM dispenser_status").fetchone()
    assert counted is not None and counted[0] > 100 and 0 < counted[1] < counted[0]
    assert statuses is not None and statuses[0] > 0
