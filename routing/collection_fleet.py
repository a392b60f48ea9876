"""A town's collection fleet, by kind of waste, read from a TOML file (`herning_fleet.toml` is
Herning's, and the shape to copy).

A truck carries one kind of waste, so each kind has its own trucks and its own disposal site,
and with them what the routes need to know of that kind's containers: what a litre weighs, how
long an emptying takes, whether they keep the quiet hours. The 30-day study and the operator's
plans read the same file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tilsyn.routing.bounds import Window
from tilsyn.routing.collection_day import Fleet
from tilsyn.routing.geo import Location
from tilsyn.routing.io import validation_reasons
from tilsyn.routing.waste import DisposalSite, Truck

HERNING_FLEET_FILE = Path(__file__).resolve().with_name("herning_fleet.toml")
DAY_S = 24 * 3600
CLOCK_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


@dataclass(frozen=True)
class KindService:
    """How one kind of waste is collected: trucks and tip, what a litre of it weighs, how
    long one emptying takes, and whether quiet hours apply to its containers."""

    kind: str
    fleet: Fleet
    density_kg_per_l: float
    service_s: int
    quiet: bool


class FleetFileError(ValueError):
    """A fleet file that cannot be read or does not describe a fleet; says which and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Place(_Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _Site(_Place):
    service_minutes: float = Field(ge=0)


class _Shift(_Strict):
    start: str = Field(pattern=CLOCK_TIME)
    end: str = Field(pattern=CLOCK_TIME)
    max_hours: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> _Shift:
        if _seconds(self.end) <= _seconds(self.start):
            raise ValueError("a shift must end after it starts on the same day")
        return self


class _Hours(_Strict):
    start: str = Field(pattern=CLOCK_TIME)
    end: str = Field(pattern=CLOCK_TIME)


class _Kind(_Strict):
    trucks: int = Field(gt=0, le=50)
    truck_litres: int = Field(gt=0)
    truck_kg: int = Field(gt=0)
    disposal_site: str
    density_kg_per_l: float = Field(gt=0)
    service_minutes: float = Field(gt=0)
    quiet: bool = False


class _FleetFile(_Strict):
    depot: _Place
    shift: _Shift
    quiet_hours: _Hours | None = None
    max_tips: int = Field(default=3, gt=0, le=10)
    disposal_sites: dict[str, _Site] = Field(min_length=1)
    kinds: dict[str, _Kind] = Field(min_length=1)

    @model_validator(mode="after")
    def _sites_exist(self) -> _FleetFile:
        for kind, spec in self.kinds.items():
            if spec.disposal_site not in self.disposal_sites:
                known = ", ".join(sorted(self.disposal_sites))
                raise ValueError(
                    f"kinds.{kind}: disposal site {spec.disposal_site!r} is not among"
                    f" disposal_sites ({known})"
                )
        return self


def _seconds(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def quiet_windows(start: str, end: str) -> tuple[Window, ...]:
    """Quiet hours as windows in seconds from the day's midnight. Hours that run past
    midnight cover both the morning of the day and its evening into the next one."""
    begin, finish = _seconds(start), _seconds(end)
    if begin < finish:
        return ((begin, finish),)
    return ((begin - DAY_S, finish), (begin, finish + DAY_S))


def load_collection_fleet(path: Path | None = None) -> dict[str, KindService]:
    """Each kind of waste's trucks and service, from `path` (Herning's file if none)."""
    path = path or HERNING_FLEET_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = _FleetFile.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise FleetFileError(f"collection fleet file {path}: {error}") from error
    except ValidationError as error:
        reasons = validation_reasons(error)
        raise FleetFileError(f"collection fleet file {path}: {reasons}") from None
    depot = Location("depot", spec.depot.lat, spec.depot.lon)
    shift = spec.shift
    max_shift = None if shift.max_hours is None else round(shift.max_hours * 3600)
    quiet = () if spec.quiet_hours is None else quiet_windows(**spec.quiet_hours.model_dump())
    sites = {
        name: DisposalSite(name, Location(name, at.lat, at.lon), round(at.service_minutes * 60))
        for name, at in spec.disposal_sites.items()
    }
    services = {}
    for kind, each in spec.kinds.items():
        trucks = tuple(
            Truck(
                f"{kind}-{number}",
                depot,
                each.truck_litres,
                each.truck_kg,
                _seconds(shift.start),
                _seconds(shift.end),
                max_shift,
            )
            for number in range(1, each.trucks + 1)
        )
        fleet = Fleet(trucks, (sites[each.disposal_site],), quiet, spec.max_tips)
        services[kind] = KindService(
            kind, fleet, each.density_kg_per_l, round(each.service_minutes * 60), each.quiet
        )
    return services


def herning_services() -> dict[str, KindService]:
    """The Herning study's fleet: two trucks per kind, 06:00-15:00, glass kept quiet."""
    return load_collection_fleet(HERNING_FLEET_FILE)
