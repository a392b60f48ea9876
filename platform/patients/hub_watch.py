"""When a home hub needs someone's attention, decided in one place for the hub list on the
home-care screen and for the silent-hub alert. A hub that cannot reach us leaves its patients
unwatched: their red values queue on the hub instead of reaching a nurse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tilsyn.platform.clinical.schedule import CARE_TIMEZONE

# Health comes every minute while a hub is connected: two hours without any is an outage (a
# router off, a move, a hub unplugged), not a blip of home broadband.
SILENT_AFTER = timedelta(hours=2)
# Messages still queued this long after they were taken, on a hub that reports: a delivery
# that keeps failing (the platform refuses them, or receipts never come back).
BACKLOG_AFTER = timedelta(minutes=30)
BATTERY_LOW_PERCENT = 20  # as for dispensers: time to bring a new one on the next visit
CLOCK_BEHIND_S = 600.0  # the agent reports 10 minutes or more (docs/edge.md)
# A pushed configuration reaches a connected hub within seconds and is reported with the next
# health message (every minute): before this, "not applied yet" is only on its way.
CONFIG_GRACE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class HubState:
    """A hub's latest health report with what the platform knows about it."""

    registered_at: datetime
    reported_at: datetime | None = None
    queue_depth: int | None = None
    oldest_queued_at: datetime | None = None
    devices: Sequence[Mapping[str, Any]] = ()
    clock_behind_s: float | None = None
    config_pushed_version: int | None = None
    config_pushed_at: datetime | None = None
    config_applied_version: int | None = None
    config_unsent: str | None = None


def silent(hub: HubState, now: datetime) -> bool:
    """No health report for `SILENT_AFTER`; one that never reported counts from registration."""
    return now - (hub.reported_at or hub.registered_at) > SILENT_AFTER


def problems(hub: HubState, now: datetime) -> list[str]:
    """What a nurse or an admin should see to, in words; empty when the hub is fine."""
    found = []
    if silent(hub, now):
        found.append(
            "never reported"
            if hub.reported_at is None
            else f"no report since {local_time(hub.reported_at)}"
        )
    if hub.queue_depth and hub.oldest_queued_at and now - hub.oldest_queued_at > BACKLOG_AFTER:
        found.append(
            f"{hub.queue_depth} messages not delivered since {local_time(hub.oldest_queued_at)}"
        )
    for device in hub.devices:
        battery = device.get("batteryPercent")
        if isinstance(battery, int | float) and battery <= BATTERY_LOW_PERCENT:
            found.append(f"{device.get('kind') or device.get('deviceId')} battery {battery:.0f} %")
    if hub.clock_behind_s is not None and hub.clock_behind_s >= CLOCK_BEHIND_S:
        found.append(f"clock {hub.clock_behind_s / 60:.0f} min behind")
    if hub.config_unsent:
        found.append(f"settings not sent: {hub.config_unsent}")
    elif _config_not_applied(hub, now):
        applied = hub.config_applied_version
        found.append(
            f"runs settings version {applied if applied is not None else 'none'},"
            f" not {hub.config_pushed_version}"
        )
    return found


def _config_not_applied(hub: HubState, now: datetime) -> bool:
    if hub.config_pushed_version is None or hub.config_pushed_at is None:
        return False
    return (
        hub.config_applied_version != hub.config_pushed_version
        and now - hub.config_pushed_at > CONFIG_GRACE
    )


def local_time(moment: datetime) -> str:
    """As the care team reads times, with the zone said."""
    return f"{moment.astimezone(ZoneInfo(CARE_TIMEZONE)):%Y-%m-%d %H:%M %Z}"
