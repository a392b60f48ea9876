"""Registering wards, dispensers, badges, patients and hubs; each device in `devices` too."""

from __future__ import annotations

import psycopg

from tilsyn.platform.registry.models import (
    BadgeIn,
    DispenserIn,
    HubIn,
    PatientHome,
    PatientIn,
    WardIn,
)

HYGIENE_CODEC = "tilsyn-hygiene-v1"
EDGE_CODEC = "tilsyn-edge-v1"


def register_ward(conn: psycopg.Connection, ward: WardIn) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO wards (ward_id, name, hospital, compliance_target)"
            " VALUES (%s, %s, %s, %s)",
            (ward.ward_id, ward.name, ward.hospital, ward.compliance_target),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO hygiene_zones (ward_id, zone_id, room_id, zone_type, name)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(ward.ward_id, z.zone_id, z.room_id, z.zone_type, z.name) for z in ward.zones],
            )


def register_dispenser(conn: psycopg.Connection, dispenser: DispenserIn) -> None:
    with conn.transaction():
        _device(conn, dispenser.dev_eui.lower(), "dispenser", HYGIENE_CODEC)
        conn.execute(
            "INSERT INTO dispensers (dev_eui, ward_id, dispenser_id, zone_id, room_id,"
            " reporting_interval_s) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                dispenser.dev_eui.lower(),
                dispenser.ward_id,
                dispenser.dispenser_id,
                dispenser.zone_id,
                dispenser.room_id,
                dispenser.reporting_interval_s,
            ),
        )


def register_badge(conn: psycopg.Connection, badge: BadgeIn) -> None:
    with conn.transaction():
        _device(conn, badge.dev_eui.lower(), "badge", HYGIENE_CODEC)
        conn.execute(
            "INSERT INTO badges (dev_eui, ward_id, role) VALUES (%s, %s, %s)",
            (badge.dev_eui.lower(), badge.ward_id, badge.role),
        )


def register_patient(conn: psycopg.Connection, patient: PatientIn) -> None:
    home = patient.home
    conn.execute(
        "INSERT INTO patients (patient_id, unit, address, latitude, longitude, spo2_scale)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (
            patient.patient_id,
            patient.unit,
            home.address if home else None,
            home.latitude if home else None,
            home.longitude if home else None,
            patient.spo2_scale,
        ),
    )


def set_spo2_scale(conn: psycopg.Connection, patient_id: str, scale: int) -> bool:
    """False when there is no such patient."""
    updated = conn.execute(
        "UPDATE patients SET spo2_scale = %s WHERE patient_id = %s", (scale, patient_id)
    )
    return updated.rowcount == 1


def set_patient_home(conn: psycopg.Connection, patient_id: str, home: PatientHome) -> bool:
    """False when there is no such patient."""
    updated = conn.execute(
        "UPDATE patients SET address = %s, latitude = %s, longitude = %s WHERE patient_id = %s",
        (home.address, home.latitude, home.longitude, patient_id),
    )
    return updated.rowcount == 1


def register_hub(conn: psycopg.Connection, hub: HubIn) -> None:
    with conn.transaction():
        _device(conn, hub.hub_id, "hub", EDGE_CODEC)
        conn.execute("INSERT INTO hubs (hub_id, unit) VALUES (%s, %s)", (hub.hub_id, hub.unit))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO hub_patients (hub_id, patient_id) VALUES (%s, %s)",
                [(hub.hub_id, patient_id) for patient_id in hub.patient_ids],
            )


def _device(conn: psycopg.Connection, device_id: str, family: str, codec: str) -> None:
    conn.execute(
        "INSERT INTO devices (device_id, family, codec) VALUES (%s, %s, %s)",
        (device_id, family, codec),
    )
