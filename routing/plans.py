"""What every planner returns: routes with ETAs, km and load, and what was left out and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Visit:
    """One stop on a route. Times are seconds from the request's origin.

    `arrival` is the ETA; `start` is when service starts (later if the window is not open yet);
    `load` is what the vehicle carries after the stop, per capacity kind (empty for nurses).
    """

    id: str
    location_id: str
    kind: str
    arrival: int
    start: int
    departure: int
    load: tuple[float, ...] = ()


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    start_location_id: str
    end_location_id: str
    departure: int
    visits: tuple[Visit, ...]
    return_time: int
    metres: int

    @property
    def km(self) -> float:
        return self.metres / 1000

    @property
    def duration(self) -> int:
        return self.return_time - self.departure

    def ids(self, kind: str | None = None) -> list[str]:
        return [v.id for v in self.visits if kind is None or v.kind == kind]


@dataclass(frozen=True)
class Dropped:
    id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """`feasible` is False when something that must happen cannot: a mandatory container that
    does not fit, a locked night stop that can no longer be kept. `problems` then says which
    and why. Collection plans still carry routes for everything else; a night plan whose locked
    stops fail carries none, since the nurses' next moves are exactly what is in question."""

    routes: tuple[Route, ...]
    dropped: tuple[Dropped, ...]
    feasible: bool
    problems: tuple[str, ...] = ()
    solve_seconds: float = 0.0

    @property
    def km(self) -> float:
        return sum(r.km for r in self.routes)

    def route_of(self, vehicle_id: str) -> Route:
        return next(r for r in self.routes if r.vehicle_id == vehicle_id)

    def served_ids(self, kind: str | None = None) -> list[str]:
        return [i for r in self.routes for i in r.ids(kind)]
