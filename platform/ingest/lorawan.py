"""Rows from a decoded LoRaWAN uplink, by the family of the device that sent it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tilsyn.platform.ingest.directory import ContainerDevice, DispenserDevice
from tilsyn.platform.ingest.envelopes import LoRaUplink
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS, DISPENSER_STATUS, DISPENSER_USES

# A device clock further than this from the network server's is wrong (drift, lost RTC after a
# battery change): its timestamps are then shifted by the difference.
MAX_CLOCK_SKEW = timedelta(minutes=10)
# The widest window a report can describe: its offsets are 16-bit seconds.
MAX_WINDOW = timedelta(seconds=0xFFFF)


def container_rows(
    uplink: LoRaUplink, device: ContainerDevice, fields: dict[str, Any], at: datetime
) -> Accepted:
    # A probe that reads nothing (Dragino's "no valid distance") is not an empty nor a full
    # container: the reading keeps its battery and temperature, with no fill.
    distance = fields.get("distance_mm") if fields.get("distance_valid", True) else None
    row = (
        at,
        device.container_id,
        uplink.dev_eui,
        distance,
        device.geometry.fill_percent(distance) if distance is not None else None,
        battery_percent(fields),
        fields.get("tilt"),
        fields.get("temperature_c"),
        uplink.fcnt,
    )
    return Accepted(uplink.idempotency_key, ((CONTAINER_READINGS, (row,)),))


def dispenser_rows(
    uplink: LoRaUplink, device: DispenserDevice, fields: dict[str, Any], at: datetime
) -> Accepted:
    if fields.get("message") != "dispenser_status":
        raise ValueError(f"a dispenser sent a {fields.get('message')!r} message")
    longest = timedelta(seconds=device.reporting_interval_s)
    base = window_start(fields["time"], max(fields["uses"], default=0), at, longest)
    status = (
        at,  # when the counters were read: "last heard", not the window's start
        uplink.dev_eui,
        device.ward_id,
        device.dispenser_id,
        fields["use_count"],
        fields["refill_percent"],
        fields["battery_percent"],
    )
    uses = tuple(
        (base + timedelta(seconds=offset), device.ward_id, device.dispenser_id)
        for offset in fields["uses"]
    )
    return Accepted(uplink.idempotency_key, ((DISPENSER_STATUS, (status,)), (DISPENSER_USES, uses)))


def uplink_time(stamped: datetime | None, received: datetime) -> datetime:
    """The network server's time of an uplink. Old times are real (a network server that
    forwards what it buffered through an outage); one ahead of the arrival is not, and would
    make the container's latest reading one that no true reading can replace."""
    if stamped is None or stamped - received > MAX_CLOCK_SKEW:
        return received
    return stamped


def window_start(
    unix_seconds: int, last_offset_s: int, network_time: datetime, longest: timedelta = MAX_WINDOW
) -> datetime:
    """The start of a report's window (a dispenser's uses, a badge's events are seconds after
    it) by the device's own clock, unless that clock is clearly off: the window would end
    after the report arrived, or start further before it than the `longest` window the device
    reports. Then the window is placed so that its last event falls at the arrival."""
    claimed = datetime.fromtimestamp(unix_seconds, UTC)
    last = timedelta(seconds=last_offset_s)
    ends_in_time = claimed + last <= network_time + MAX_CLOCK_SKEW
    starts_in_reach = claimed >= network_time - longest - MAX_CLOCK_SKEW
    return claimed if ends_in_time and starts_in_reach else network_time - last


def battery_percent(fields: dict[str, Any]) -> int | None:
    if "battery_percent" in fields:
        return int(fields["battery_percent"])
    if "battery_mv" in fields:
        # Li-SOCl2 cells (Dragino LDDS75) sit near 3.6 V and are spent at about 3.0 V.
        millivolts = float(fields["battery_mv"])
        return round(min(100.0, max(0.0, (millivolts - 3000) / 600 * 100)))
    return None
