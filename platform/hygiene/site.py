"""Where the zones are, which dispensers are in reach of each, and the time windows that count.

Zone ids and dispenser ids are the `ref` values the badges report (tilsyn-hygiene-v1). The
installation, not the badge, decides which ward a zone belongs to and which dispensers are close
enough to it: a rub at the dispenser in the corridor does not clean hands for the bed at the far
end of the ward.

Default windows (seconds, both ends inclusive):
- entry: from 60 s before to 30 s after. Before touching a patient hands are usually rubbed at
  the door; the 30 s after entering cover the dispenser at the bedside, which is still before
  contact in practice.
- exit: from 30 s before to 60 s after. After patient contact hands are rubbed at the bedside on
  the way out or at the first dispenser outside the zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

ZoneType = Literal["patient_zone", "clean_room", "unclean_room"]
Role = Literal["nurse", "doctor", "care_assistant", "therapist", "cleaner", "other"]
Crossing = Literal["entry", "exit"]

# WHO moments an automated system can see: before and after the patient zone, on entering a
# clean room (medication room), on leaving an unclean room (sluice, staff toilet).
OPPORTUNITIES: frozenset[tuple[Crossing, ZoneType]] = frozenset(
    {
        ("entry", "patient_zone"),
        ("exit", "patient_zone"),
        ("entry", "clean_room"),
        ("exit", "unclean_room"),
    }
)


@dataclass(frozen=True)
class Window:
    before_s: int
    after_s: int

    def __post_init__(self) -> None:
        if self.before_s < 0 or self.after_s < 0:
            raise ValueError(f"window bounds must not be negative, got {self}")


@dataclass(frozen=True)
class Zone:
    ward: str
    zone_type: ZoneType
    dispensers: frozenset[int]
    """Dispensers in reach of this zone: only a rub at one of these meets its opportunities."""


# The wards' days are local days in this zone: counts, rates and their periods.
WARD_TIMEZONE = "Europe/Oslo"


@dataclass(frozen=True)
class Site:
    zones: Mapping[int, Zone]
    timezone: str = WARD_TIMEZONE
    """Days are local days: a night shift's 23:30 counts for the evening it belongs to."""
    entry_window: Window = field(default_factory=lambda: Window(before_s=60, after_s=30))
    exit_window: Window = field(default_factory=lambda: Window(before_s=30, after_s=60))

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # an unknown zone fails here, at configuration time
        for zone_id, zone in self.zones.items():
            if not 0 <= zone_id <= 0xFFFF:
                raise ValueError(f"zone id {zone_id} does not fit the badge's 16-bit ref")
            if not zone.ward:
                raise ValueError(f"zone {zone_id} needs a ward")

    @classmethod
    def from_rooms(
        cls,
        ward: str,
        zones: Iterable[tuple[int, str, ZoneType]],
        dispensers: Iterable[tuple[int, str]],
        timezone: str = WARD_TIMEZONE,
    ) -> Site:
        """One ward's layout as the registry holds it: zones as (zone id, room, type) and
        dispensers as (dispenser id, room). A dispenser is in reach of every zone in its room.
        Zone ids are unique within a ward only, so a badge is matched against its own ward's site.
        """
        by_room: dict[str, set[int]] = {}
        for dispenser_id, room in dispensers:
            by_room.setdefault(room, set()).add(dispenser_id)
        return cls(
            zones={
                zone_id: Zone(ward, zone_type, frozenset(by_room.get(room, ())))
                for zone_id, room, zone_type in zones
            },
            timezone=timezone,
        )

    @property
    def span_s(self) -> int:
        """The longest stretch of time one opportunity's decision can depend on."""
        return max(w.before_s + w.after_s for w in (self.entry_window, self.exit_window))
