"""The next collection day's routes: forecasts from the containers' latest fill and fill
rate, the containers worth a visit, truck routes with tip runs, as GeoJSON for the operator's
map.

Trucks work on the configured weekdays only, so the next collection day may be after a weekend,
and a container left out must hold until the end of the shift on the collection day after it
(Friday's plan looks to Monday afternoon). A truck carries one kind of waste (glass and
residual waste never share a body), so each kind is chosen and routed on its own, with that
kind's trucks and disposal site from the collection fleet file. Containers of a kind the fleet
has no trucks for are listed as left out, never dropped silently; so is a container whose
stored record no plan can use (a capacity or position the registry refuses today).

The forecast's spread is not measured yet: it is taken as a fixed share of the rate
(`RATE_SPREAD`), enough for the selection to weigh a container that may or may not overflow.
A container whose sensor went silent is not taken as empty or as not filling: it is assumed
to fill fast (`container_forecasts`) and listed in the plan's `assumed`.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from tilsyn.platform.config import Settings
from tilsyn.platform.containers.forecast import fill_rates
from tilsyn.platform.containers.models import MAX_CAPACITY_LITRES
from tilsyn.platform.planning.errors import PlanRejected
from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.clock import after
from tilsyn.routing.collection_day import CollectionDay, plan_collection_day
from tilsyn.routing.collection_fleet import KindService, load_collection_fleet
from tilsyn.routing.geo import Location
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Route
from tilsyn.routing.settings import RoutingSettings
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_select import (
    SILENT_RATE,
    SILENT_S,
    ContainerForecast,
    SelectionPolicy,
    days_to_next_collection,
    select_stops,
)

RATE_SPREAD = 0.3
# Near the top an ultrasonic sensor no longer sees the waste rise (it reads 97, 100, 98 ...):
# a fill read this high is full, whatever the rate says, and must be emptied.
FULL_READING_PERCENT = 95.0


def next_collection_start(now: datetime, zone: str, weekdays: Collection[int]) -> datetime:
    """Local midnight at the start of the first collection day after today."""
    today = now.astimezone(ZoneInfo(zone)).date()
    day = today + timedelta(days=days_to_next_collection(today.weekday(), weekdays))
    return datetime.combine(day, time(0), ZoneInfo(zone))


def hours_to_hold(origin: datetime, weekdays: Collection[int], shift_end_h: float) -> float:
    """Hours from `origin` (a collection day's local midnight) to the end of the shift on the
    next collection day: how long a container left out must hold. Counted on the real clock,
    so a weekend with a daylight-saving change is an hour longer or shorter."""
    days = days_to_next_collection(origin.weekday(), weekdays)
    next_day = datetime.combine(origin.date() + timedelta(days=days), time(0), origin.tzinfo)
    until = next_day + timedelta(hours=shift_end_h)  # on that day's wall clock
    return (until.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 3600


@dataclass(frozen=True)
class Unplannable:
    """A stored container no plan can use, and why: it is listed, never silently dropped."""

    container_id: str
    waste_kind: str
    reason: str
    fix_in_registry: bool = True  # else the sensor must be seen to


@dataclass(frozen=True)
class Assumed:
    """A container planned from an assumed fill: its sensor has been silent for a day."""

    container_id: str
    waste_kind: str
    silent_since: datetime


@dataclass
class Forecasts:
    """The containers' forecasts by kind of waste, and those the operator must know about."""

    by_kind: dict[str, list[ContainerForecast]] = field(default_factory=dict)
    unplannable: list[Unplannable] = field(default_factory=list)
    assumed: list[Assumed] = field(default_factory=list)


def container_forecasts(
    conn: psycopg.Connection, origin: datetime, now: datetime, services: dict[str, KindService]
) -> Forecasts:
    """Each container's expected fill at `origin`, from its latest reading and fill rate, by
    kind of waste; weight, emptying time and quiet hours come from the kind's service (a kind
    without trucks is only listed, never routed).

    A container with no rate of its own (too few recent readings) fills at the median rate of
    its kind; one whose sensor has been silent for a day is assumed to fill twice as fast
    (`SILENT_RATE`, as in the study) with a wide spread, and is listed; at or above its full
    limit a container fills at least at its kind's rate, since near the top the sensor sees
    the waste rise less. A container that never reported a fill, or whose stored record no
    plan can use, is listed with the reason."""
    rates = fill_rates(conn, now)
    rows = conn.execute(
        "SELECT c.container_id, c.latitude, c.longitude, c.capacity_litres, c.waste_kind,"
        " c.fill_high_percent, l.fill_at, l.fill_percent FROM containers c"
        " LEFT JOIN container_latest l USING (container_id) ORDER BY c.container_id"
    ).fetchall()
    typical = _typical_rates(rows, rates)
    found = Forecasts()
    for container_id, lat, lon, capacity, kind, high, seen_at, fill_percent in rows:
        problem = _record_problem(capacity, lat, lon)
        if problem is not None:
            found.unplannable.append(Unplannable(container_id, kind, problem))
            continue
        if seen_at is None:
            reason = "no fill reading yet: check that its sensor is mounted and reporting"
            found.unplannable.append(Unplannable(container_id, kind, reason, False))
            continue
        rate = rates.get(container_id, typical[kind])
        spread = RATE_SPREAD * rate
        if fill_percent >= high:
            rate = max(rate, typical[kind])
            spread = RATE_SPREAD * rate
        if (now - seen_at).total_seconds() > SILENT_S:
            rate *= SILENT_RATE
            spread = rate
            found.assumed.append(Assumed(container_id, kind, seen_at))
        hours_ahead = max(0.0, (origin - seen_at).total_seconds() / 3600)
        service = services.get(kind)
        found.by_kind.setdefault(kind, []).append(
            ContainerForecast(
                container_id=container_id,
                location=Location(container_id, lat, lon),
                capacity_l=math.ceil(capacity),  # a stored 0.4 L must not block the plan
                fill=1.0
                if fill_percent >= FULL_READING_PERCENT
                else min(1.0, fill_percent / 100 + rate * hours_ahead),
                rate=rate,
                rate_sd=spread,
                density_kg_per_l=service.density_kg_per_l if service else 0.0,
                service=service.service_s if service else 0,
                quiet=service.quiet if service else False,
            )
        )
    return found


def _typical_rates(rows: list[tuple[Any, ...]], rates: dict[str, float]) -> dict[str, float]:
    """The median measured fill rate of each kind of waste; a kind with none measured gets
    the median of all."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        container_id, kind = row[0], row[4]
        if container_id in rates:
            by_kind[kind].append(rates[container_id])
    overall = statistics.median(rates.values()) if rates else 0.0
    typical: dict[str, float] = defaultdict(lambda: overall)
    typical.update({kind: statistics.median(known) for kind, known in by_kind.items()})
    return typical


def _record_problem(capacity: float, lat: float, lon: float) -> str | None:
    if not (math.isfinite(capacity) and 0 < capacity <= MAX_CAPACITY_LITRES):
        return (
            f"its stored capacity ({capacity} L) is outside 1..{MAX_CAPACITY_LITRES} L:"
            " correct it in the registry"
        )
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return f"its stored position ({lat}, {lon}) is not a place: correct it in the registry"
    return None


@dataclass(frozen=True)
class KindDay:
    """One kind of waste's collection day: what was chosen from which forecasts, and the
    routes of that kind's trucks."""

    kind: str
    day: CollectionDay
    forecasts: tuple[ContainerForecast, ...]


@dataclass(frozen=True)
class NextDay:
    """The next collection day, from its local midnight: one plan per kind of waste, each
    choosing what must not overflow before the end of `next_visit_h`. `without_trucks`
    holds, per kind the fleet has no trucks for, the containers that would have been chosen."""

    origin: datetime
    next_visit_h: float
    kinds: tuple[KindDay, ...]
    without_trucks: dict[str, tuple[ContainerStop, ...]] = field(default_factory=dict)
    unplannable: tuple[Unplannable, ...] = ()
    assumed: tuple[Assumed, ...] = ()


def plan_next_day(conn: psycopg.Connection, settings: Settings, now: datetime) -> NextDay:
    """Each kind's plan for the next collection day with that kind's trucks, checked;
    `collection_plan_seconds` is shared among the kinds, so the operator waits about as long
    however many kinds the town collects."""
    services = load_collection_fleet(settings.collection_fleet_file)
    weekdays = settings.collection_weekdays
    origin = next_collection_start(now, settings.planning_timezone, weekdays)
    forecasts_found = container_forecasts(conn, origin, now, services)
    by_kind = forecasts_found.by_kind
    travel = RoutingSettings().travel()
    routed = [kind for kind in by_kind if kind in services]
    budget = Stop(seconds=settings.collection_plan_seconds / max(1, len(routed)))
    shift_end_h = max(t.shift_end for s in services.values() for t in s.fleet.trucks) / 3600
    policy = SelectionPolicy(next_visit_h=hours_to_hold(origin, weekdays, shift_end_h))
    days = []
    for kind in sorted(routed):
        fleet, forecasts = services[kind].fleet, by_kind[kind]
        day = plan_collection_day(origin, forecasts, fleet, policy, travel, budget)
        request = day.request
        places = [*(t.depot for t in request.trucks), *(d.location for d in fleet.disposal_sites)]
        matrix = travel.matrix(places + [s.location for s in request.stops])
        problems = check_collection_plan(request, day.plan, matrix)
        if problems:
            raise PlanRejected(f"{kind}: " + "; ".join(problems))
        days.append(KindDay(kind, day, tuple(forecasts)))
    without_trucks = {
        kind: select_stops(forecasts, policy)
        for kind, forecasts in sorted(by_kind.items())
        if kind not in services
    }
    return NextDay(
        origin,
        policy.next_visit_h,
        tuple(days),
        without_trucks,
        tuple(forecasts_found.unplannable),
        tuple(forecasts_found.assumed),
    )


def collection_geojson(next_day: NextDay, made_at: datetime) -> dict[str, Any]:
    """One LineString per truck that drives (depot -> stops and tips -> depot, [lon, lat]),
    labelled with its kind of waste, with the chosen containers and anything left out, and
    why."""
    features: list[dict[str, Any]] = []
    containers: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    problems: list[str] = []
    days = next_day.kinds
    for kind_day in days:
        kind, request, plan = kind_day.kind, kind_day.day.request, kind_day.day.plan
        places = _places(request)
        volumes = {s.id: s.volume_l for s in request.stops}
        fills = {f.container_id: f.fill for f in kind_day.forecasts}
        served = set(plan.served_ids("container"))
        driving = [route for route in plan.routes if route.visits]
        features += [
            _feature(route, kind, number, places, volumes)
            for number, route in enumerate(driving, start=1)
        ]
        containers += [
            {
                "container_id": s.id,
                "waste_kind": kind,
                "mandatory": s.mandatory,
                "expected_fill": round(fills.get(s.id, 0.0), 3),
                "volume_litres": s.volume_l,
                "planned": s.id in served,
            }
            for s in request.stops
        ]
        left_out += [
            {"container_id": d.id, "waste_kind": kind, "reason": d.reason} for d in plan.dropped
        ]
        problems += [f"{kind}: {problem}" for problem in plan.problems]
    for kind, due in next_day.without_trucks.items():
        reason = f"the collection fleet has no trucks for {kind} waste"
        left_out += [{"container_id": s.id, "waste_kind": kind, "reason": reason} for s in due]
        if due:
            containers_due = f"{len(due)} container{'' if len(due) == 1 else 's'} due"
            problems.append(f"{kind}: {containers_due}, but {reason}")
    left_out += [
        {"container_id": u.container_id, "waste_kind": u.waste_kind, "reason": u.reason}
        for u in next_day.unplannable
    ]
    registry = [u for u in next_day.unplannable if u.fix_in_registry]
    if registry:
        count = len(registry)
        problems.append(
            f"{count} container{'' if count == 1 else 's'} cannot be planned until the"
            " registry is corrected"
        )
    must_wait = any(s.mandatory for due in next_day.without_trucks.values() for s in due)
    return {
        "type": "FeatureCollection",
        "features": features,
        "day_starts": next_day.origin.isoformat(),
        "day_ends": _next_midnight(next_day.origin).isoformat(),  # 23 or 25 h on a DST day
        "holds_until": after(next_day.origin, next_day.next_visit_h * 3600).isoformat(),
        "generated_at": made_at.isoformat(),
        "feasible": all(d.day.plan.feasible for d in days) and not must_wait,
        "problems": problems,
        "km": round(sum(d.day.plan.km for d in days), 1),
        "containers": containers,
        "left_out": left_out,
        # Planned all the same, from a fill their silent sensors no longer report.
        "assumed": [
            {
                "container_id": a.container_id,
                "waste_kind": a.waste_kind,
                "silent_since": a.silent_since.isoformat(),
            }
            for a in next_day.assumed
        ],
    }


def _next_midnight(origin: datetime) -> datetime:
    return datetime.combine(origin.date() + timedelta(days=1), time(0), origin.tzinfo)


def _places(request: CollectionRequest) -> dict[str, Location]:
    locations = [
        *(t.depot for t in request.trucks),
        *(d.location for d in request.disposal_sites),
        *(s.location for s in request.stops),
    ]
    return {location.id: location for location in locations}


def _feature(
    route: Route, kind: str, number: int, places: dict[str, Location], volumes: dict[str, int]
) -> dict[str, Any]:
    path = [route.start_location_id, *(v.location_id for v in route.visits), route.end_location_id]
    containers = [v.id for v in route.visits if v.kind == "container"]
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[places[p].lon, places[p].lat] for p in path],
        },
        "properties": {
            "vehicle": f"{kind.capitalize()} truck {number}",
            "vehicle_id": route.vehicle_id,
            "waste_kind": kind,
            "km": round(route.km, 1),
            "load_litres": sum(volumes[c] for c in containers),
            "stops": len(containers),
            "tips": sum(1 for v in route.visits if v.kind == "tip"),
            "containers": containers,
            "departure": route.departure,
            "return": route.return_time,
        },
    }


def save_collection_plan(conn: psycopg.Connection, by: str, geojson: dict[str, Any]) -> int:
    """Stored as made at `generated_at`, when its data was read: of two plans made at once,
    the one from the newer data stays in force, whichever finished solving last."""
    row = conn.execute(
        "INSERT INTO collection_plans (made_at, made_by, day_starts, feasible, km, geojson)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING plan_id",
        (
            geojson["generated_at"],
            by,
            geojson["day_starts"],
            geojson["feasible"],
            geojson["km"],
            Jsonb(geojson),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def latest_collection_plan(conn: psycopg.Connection) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT geojson FROM collection_plans ORDER BY made_at DESC, plan_id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else dict(row[0])


def current_collection_plans(conn: psycopg.Connection, now: datetime) -> list[dict[str, Any]]:
    """The latest plan of each collection day not over yet, in day order: today's while its
    trucks are out, beside the next day's once that is planned. With none, the latest plan
    (its day over, for the screen to say so)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (day_starts) geojson FROM collection_plans WHERE day_starts > %s"
        " ORDER BY day_starts, made_at DESC, plan_id DESC",
        (now - timedelta(days=2),),  # no collection day is longer than that
    ).fetchall()
    plans = [dict(row[0]) for row in rows if _plan_day_ends(dict(row[0])) > now]
    if plans:
        return plans
    latest = latest_collection_plan(conn)
    return [] if latest is None else [latest]


def _plan_day_ends(geojson: dict[str, Any]) -> datetime:
    """Plans stored before `day_ends` was kept end 24 hours after they start."""
    if "day_ends" in geojson:
        return datetime.fromisoformat(geojson["day_ends"])
    return datetime.fromisoformat(geojson["day_starts"]) + timedelta(days=1)
