"""Believable data for the screens: containers around Herning with a few days of readings,
home-care patients with measurements and thresholds, wards with compliance and dispensers,
and one user per role with a known password (for signing in through the form)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import psycopg
from night_seed import give_home, nurse, seed_shift, task

from tilsyn.platform.auth.passwords import hash_password
from tilsyn.platform.auth.roles import ROLES, Role
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.hygiene.site import WARD_TIMEZONE
from tilsyn.platform.registry.models import DispenserIn, PatientIn, WardIn, ZoneIn
from tilsyn.platform.registry.store import register_dispenser, register_patient, register_ward

PASSWORD = "correct horse battery"
HERNING = (56.1393, 8.9738)
KINDS = ("residual", "paper", "glass", "plastic")


def username(role: Role) -> str:
    return role.replace("_", ".")


@cache
def _password_hash() -> str:
    """scrypt is slow on purpose; one hash serves every seeded user of a test run."""
    return hash_password(PASSWORD)


def seed_users(conn: psycopg.Connection) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users (username, display_name, role, password_hash)"
            " VALUES (%s, %s, %s, %s)",
            [(username(r), r.replace("_", " ").title(), r, _password_hash()) for r in ROLES],
        )


def seed_containers(conn: psycopg.Connection, count: int, seed: int = 7) -> list[str]:
    """`count` containers scattered over the town, each with 48 hourly readings rising from its
    last emptying, and its latest state."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ids = []
    for index in range(count):
        container_id = f"C{index:05d}"
        angle, radius = rng.uniform(0, 2 * math.pi), 0.026 * math.sqrt(rng.random())
        register_container(
            conn,
            ContainerIn(
                container_id=container_id,
                dev_eui=f"{0xA84041000000 + index:016x}",
                waste_kind=KINDS[index % len(KINDS)],
                capacity_litres=2500,
                empty_distance_mm=1800,
                full_distance_mm=300,
                latitude=HERNING[0] + radius * math.sin(angle),
                longitude=HERNING[1] + 1.7 * radius * math.cos(angle),
                address=f"Bredgade {index + 1}, 7400 Herning",
            ),
        )
        _readings(conn, container_id, f"{0xA84041000000 + index:016x}", now, rng)
        ids.append(container_id)
    return ids


def _readings(
    conn: psycopg.Connection, container_id: str, dev_eui: str, now: datetime, rng: random.Random
) -> None:
    rate, start = rng.uniform(0.3, 2.2), rng.uniform(0, 30)
    rows = []
    for hour in range(48, -1, -1):
        fill = min(100.0, start + rate * (48 - hour) + rng.uniform(-1, 1))
        rows.append(
            (
                now - timedelta(hours=hour),
                container_id,
                dev_eui,
                None,
                max(0.0, fill),
                80,
                False,
                9.0,
            )
        )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO container_readings (time, container_id, dev_eui, distance_mm,"
            " fill_percent, battery_percent, tilt, temperature_c) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )
    last = rows[-1]
    conn.execute(
        "INSERT INTO container_latest (container_id, time, fill_percent, fill_at,"
        " battery_percent, tilt, temperature_c) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (container_id, last[0], last[4], last[0], last[5], last[6], last[7]),
    )


# (patient, heart rate now, SpO2 now): one red, one yellow, one green.
PATIENTS = (("P-ANNA", 128.0, 91.0), ("P-BENT", 104.0, 95.0), ("P-CARL", 72.0, 97.0))
HOMES = {
    "P-ANNA": ("Hammerum Hovedgade 12, 7400 Herning", (56.1335, 9.0580)),
    "P-BENT": ("Tjørring Kirkevej 5, 7400 Herning", (56.1540, 8.9470)),
    "P-CARL": ("Gullestrupvej 30, 7400 Herning", (56.1250, 8.9450)),
}


def seed_patients(conn: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    for patient_id, pulse, spo2 in PATIENTS:
        register_patient(conn, PatientIn(patient_id=patient_id, unit="Herning Vest"))
        give_home(conn, patient_id, *HOMES[patient_id])
        conn.execute(
            "INSERT INTO patient_thresholds (patient_id, kind, green_low, green_high, yellow_low,"
            " yellow_high) VALUES (%s, 'heart_rate', 50, 100, 40, 120)",
            (patient_id,),
        )
        rows = []
        for day in range(7, -1, -1):
            drift = (7 - day) / 7
            at = now - timedelta(days=day, minutes=5)
            rows.append((at, patient_id, "heart_rate", 75 + (pulse - 75) * drift, "/min", "hub-1"))
            rows.append((at, patient_id, "spo2", 97 + (spo2 - 97) * drift, "%", "hub-1"))
        if patient_id == "P-BENT":  # values in the UCUM units FHIR carries, as hubs send them
            rows.append((now, patient_id, "body_temperature", 36.8, "Cel", "hub-1"))
            rows.append((now, patient_id, "systolic_bp", 128.0, "mm[Hg]", "hub-1"))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )


def seed_night(conn: psycopg.Connection) -> int:
    """Tonight's shift, begun an hour ago: the night nurse and three tasks in her first hours."""
    return seed_shift(
        conn,
        [nurse(username("night_nurse"))],
        [
            task("T1", "Birk", 20, "Insulin, evening dose", (56.14, 8.98)),
            task("T2", "Gullestrup", 60, "Wound dressing", (56.15, 8.99)),
            task("T3", "Lind", 120, "Turning and pain relief", (56.16, 9.00)),
        ],
    )


WARDS = (("W-MED", "Medicinsk afsnit", 0.7), ("W-KIR", "Kirurgisk afsnit", 0.8))
ZONE_TYPES = ("patient_zone", "clean_room", "unclean_room")


def seed_hygiene(conn: psycopg.Connection, days: int = 14) -> None:
    # The wards' days, as the compliance screens count them (UTC's date lags after midnight).
    today = datetime.now(ZoneInfo(WARD_TIMEZONE)).date()
    rng = random.Random(3)
    for ward_index, (ward_id, name, target) in enumerate(WARDS):
        zones = [
            ZoneIn(zone_id=i, room_id=f"{ward_id}-{i}", zone_type=z)
            for i, z in enumerate(ZONE_TYPES)
        ]
        register_ward(
            conn, WardIn(ward_id=ward_id, name=name, compliance_target=target, zones=zones)
        )
        for day in (today - timedelta(days=d) for d in range(days)):
            for zone_type in ZONE_TYPES:
                seen = rng.randint(25, 60)
                share = 0.55 + 0.3 * rng.random() - 0.1 * ward_index
                _compliance(conn, ward_id, zone_type, day, seen, round(seen * share))
        _dispensers(conn, ward_index, ward_id)


def _compliance(
    conn: psycopg.Connection, ward: str, zone: str, day: date, seen: int, met: int
) -> None:
    conn.execute(
        "INSERT INTO hygiene_compliance_counts (time, ward_id, zone_type, day, role,"
        " opportunities, met) VALUES (%s, %s, %s, %s, 'nurse', %s, %s)",
        (datetime.combine(day, datetime.min.time(), UTC), ward, zone, day, seen, met),
    )


def _dispensers(conn: psycopg.Connection, ward_index: int, ward_id: str) -> None:
    now = datetime.now(UTC)
    # (refill %, battery %, hours since the last report): fine, nearly empty, silent for a
    # day, battery nearly flat.
    states = ((80, 90, 0.5), (12, 90, 0.5), (60, 90, 26.0), (70, 6, 0.5))
    for number, (refill, battery, quiet_h) in enumerate(states):
        dev_eui = f"{0x70B3D50000000000 + ward_index * 16 + number:016x}"
        register_dispenser(
            conn,
            DispenserIn(
                dev_eui=dev_eui,
                ward_id=ward_id,
                dispenser_id=number,
                zone_id=number % len(ZONE_TYPES),  # the fourth hangs in the first's room
                room_id=f"{ward_id}-{number % len(ZONE_TYPES)}",
            ),
        )
        conn.execute(
            "INSERT INTO dispenser_status (time, dev_eui, ward_id, dispenser_id, use_count,"
            " refill_percent, battery_percent) VALUES (%s, %s, %s, %s, 100, %s, %s)",
            (now - timedelta(hours=quiet_h), dev_eui, ward_id, number, refill, battery),
        )
