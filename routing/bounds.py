"""What a request may hold: times, amounts and places the solvers can take.

OR-Tools computes in 64-bit integers and its time dimensions start at zero. Past these bounds
it overflows, fails a bare "CP Solver fail", or aborts the whole process, none of which says
what was wrong with the input; so requests are checked against them when they are made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import ConfigDict

if TYPE_CHECKING:  # geo's Location takes STRICT_FIELDS from here
    from tilsyn.routing.geo import Location

MAX_SECONDS = 7 * 24 * 3600  # from the request's origin; a plan covers one day or one night
MAX_AMOUNT = 10**9  # litres, kilograms, metres a skipped container is worth
MAX_TIPS = 10  # tip runs per truck and day; each is a copy of every site per truck in the model
MAX_TASKS = 500  # per night: keeps the priority-ranked drop penalties within 64 bits

Window = tuple[int, int]

# Request types refuse fields they do not know, so a misspelt constraint ("windws") is an
# error, not a constraint silently left out. Set as each dataclass's `__pydantic_config__`.
STRICT_FIELDS = ConfigDict(extra="forbid")


def require_time(what: str, seconds: int, lowest: int = -MAX_SECONDS) -> None:
    if not lowest <= seconds <= MAX_SECONDS:
        raise ValueError(
            f"{what}: {seconds} s from the origin is outside {lowest}..{MAX_SECONDS} s"
        )


def require_night_size(tasks: int) -> None:
    if tasks > MAX_TASKS:
        raise ValueError(f"{tasks} tasks: a night plan takes at most {MAX_TASKS}")


def require_amount(what: str, value: int) -> None:
    if not 0 <= value <= MAX_AMOUNT:
        raise ValueError(f"{what}: {value} is outside 0..{MAX_AMOUNT}")


def windows_in_order(what: str, windows: Iterable[Window]) -> tuple[Window, ...]:
    """Time windows sorted, with overlapping or touching ones merged; each checked first."""
    merged: list[Window] = []
    for opens, closes in sorted(windows):
        require_time(what, opens)
        require_time(what, closes)
        if opens > closes:
            raise ValueError(f"{what}: a window opens after it closes")
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def require_one_place_per_id(locations: Iterable[Location]) -> None:
    """Travel is looked up by location id, so one id naming two places would measure the way
    to the wrong one."""
    seen: dict[str, tuple[float, float]] = {}
    for location in locations:
        first = seen.setdefault(location.id, location.coordinates)
        if first != location.coordinates:
            raise ValueError(
                f"location id {location.id!r} names two places: {first} and {location.coordinates}"
            )


def require_unique(kind: str, ids: list[str]) -> None:
    duplicates = sorted(i for i, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate {kind} ids: {duplicates}")
