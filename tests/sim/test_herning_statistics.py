"""A 30-day `herning` run: the statistics of what the sensors report match the scenario's
parameters (fill rate per waste kind, weekday effect, emptyings that reset the fill).

Everything is estimated from the reports alone (distances turned into fill as the platform
would), never from the simulator's internals; the parameters come from the scenario file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest

from tilsyn.sim import load_scenario
from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.devices.container_payload import Report
from tilsyn.sim.scenario.geo import distance_m
from tilsyn.sim.waste_study import WasteStudy

DAYS = 30
SATURATED = 0.8  # above this the surface is no longer a clean measure of what arrived
DROP = 0.15  # a fall of this much of the range between reports is an emptying


@pytest.fixture(scope="module")
def run():
    scenario = load_scenario("herning", seed=3)
    study = WasteStudy(scenario, scenario.default_start, collection="fixed")
    reports = study.advance(scenario.default_start + timedelta(days=DAYS))
    return scenario, study, reports, _series(scenario, reports)


def _series(scenario, reports: list[Report]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """(times, fill fractions) per container from ordinary reports, as the platform reads them."""
    rows = np.array([(r.index, r.at, r.distance_mm) for r in reports if not r.tilt])
    empty = np.array([c.empty_distance_mm for c in scenario.containers], dtype=float)
    span = empty - np.array([c.full_distance_mm for c in scenario.containers])
    index = rows[:, 0].astype(int)
    fill = np.clip((empty[index] - rows[:, 2]) / span[index], 0.0, 1.0)
    order = np.lexsort((rows[:, 1], index))
    index, times, fill = index[order], rows[order, 1], fill[order]
    bounds = np.searchsorted(index, np.arange(len(scenario.containers) + 1))
    return {
        n: (times[bounds[n] : bounds[n + 1]], fill[bounds[n] : bounds[n + 1]])
        for n in range(len(scenario.containers))
    }


def _segments(times: np.ndarray, fills: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stretches between emptyings (a fall below the median of the three readings before),
    keeping only readings under SATURATED."""
    if len(fills) < 4:
        return []
    before = np.stack([fills[:-3], fills[1:-2], fills[2:-1]])
    median = before.sum(0) - before.max(0) - before.min(0)
    cuts = np.nonzero(fills[3:] < median - DROP)[0] + 3
    pieces = []
    for t, f in zip(np.split(times, cuts), np.split(fills, cuts), strict=True):
        keep = f < SATURATED
        pieces.append((t[keep], f[keep]))
    return pieces


def _rate_litres_per_day(series, capacity: float) -> float | None:
    """Robust slope of one container: medians at both ends of each unsaturated stretch."""
    litres = days = 0.0
    for times, fills in _segments(*series):
        if len(times) < 8:
            continue
        rise = np.median(fills[-4:]) - np.median(fills[:4])
        litres += rise * capacity
        days += (np.median(times[-4:]) - np.median(times[:4])) / 86_400
    return litres / days if days > 2 else None


def _month_day(day: int) -> tuple[int, int]:
    when = date.fromordinal(date(1970, 1, 1).toordinal() + day)
    return when.month, when.day


def _outside_peaks(scenario, spec) -> bool:
    return all(
        distance_m(spec.lat, spec.lon, p.lat, p.lon) > p.radius_m for p in scenario.tourist_peaks
    )


def _expected_rate(scenario, kind: str) -> float:
    """The parameters' mean rate over the run: base rate x weekday x season, day by day."""
    params = scenario.waste_kinds[kind]
    calendar = LocalCalendar(scenario.timezone)
    first = calendar.day_of(scenario.default_start.timestamp())
    factors = []
    for day in range(first, first + DAYS):
        doy = date.fromordinal(date(1970, 1, 1).toordinal() + day).timetuple().tm_yday
        season = 1 + params.seasonal_amplitude * math.cos(
            2 * math.pi * (doy - params.seasonal_peak_day) / 365.25
        )
        factors.append(params.weekday_factors[(day + 3) % 7] * season)
    return params.fill_rate_litres_per_day * float(np.mean(factors))


@pytest.mark.parametrize("kind", ["glass", "paper", "residual"])
def test_fill_rate_per_kind_matches_the_parameter(run, kind):
    scenario, _, _, series = run
    rates = []
    for index, spec in enumerate(scenario.containers):
        if spec.waste_kind == kind and _outside_peaks(scenario, spec):
            rate = _rate_litres_per_day(series[index], spec.capacity_litres)
            if rate is not None:
                rates.append(rate)
    assert len(rates) > 0.8 * scenario.waste_kinds[kind].count * 0.8
    expected = _expected_rate(scenario, kind)
    assert np.mean(rates) == pytest.approx(expected, rel=0.10)


def _daily_increments(scenario, series, kind: str) -> dict[int, list[float]]:
    """Fill added per local day (Monday 0), interpolated at local midnights."""
    calendar = LocalCalendar(scenario.timezone)
    by_weekday: dict[int, list[float]] = defaultdict(list)
    for index, spec in enumerate(scenario.containers):
        if spec.waste_kind != kind or not _outside_peaks(scenario, spec):
            continue
        for day, rise in _day_rises(calendar, series[index]):
            by_weekday[(day + 3) % 7].append(rise * spec.capacity_litres)
    return by_weekday


def _day_rises(calendar, series) -> list[tuple[int, float]]:
    """(local day, fill added that day) for the days a stretch covers from midnight to midnight."""
    found = []
    for times, fills in _segments(*series):
        if len(times) < 12:
            continue
        first, last = calendar.day_of(times[0]) + 1, calendar.day_of(times[-1])
        midnights = np.array([calendar.day_start(d) for d in range(first, last + 1)])
        if len(midnights) > 1:
            rises = np.diff(np.interp(midnights, times, fills))
            found += list(zip(range(first, last), rises.tolist(), strict=True))
    return found


@pytest.mark.parametrize("kind", ["glass", "residual"])
def test_weekday_effect_has_the_parameters_sign_and_size(run, kind):
    scenario, _, _, series = run
    by_weekday = _daily_increments(scenario, series, kind)
    factors = scenario.waste_kinds[kind].weekday_factors
    busy = max(range(7), key=lambda d: factors[d])
    quiet = min(range(7), key=lambda d: factors[d])
    observed = np.mean(by_weekday[busy]) / np.mean(by_weekday[quiet])
    expected = factors[busy] / factors[quiet]
    assert observed > 1.0
    assert observed == pytest.approx(expected, rel=0.15)


def test_emptyings_follow_the_plan_and_reset_the_reported_fill(run):
    scenario, study, _, series = run
    emptyings = study.emptyings()
    per_kind = defaultdict(int)
    for _, container_id in emptyings:
        per_kind[scenario.container(container_id).waste_kind] += 1
    for kind, params in scenario.waste_kinds.items():
        expected = params.count * DAYS / params.collection_interval_days
        assert per_kind[kind] == pytest.approx(expected, rel=0.25)
    index_of = {spec.container_id: n for n, spec in enumerate(scenario.containers)}
    after = []
    for at, container_id in emptyings:
        times, fills = series[index_of[container_id]]
        points = fills[(times > at) & (times < at + 3 * 3600)]
        if len(points):
            after.append(np.median(points))
    assert len(after) > 0.9 * len(emptyings)
    assert np.median(after) < 0.05
    assert np.quantile(after, 0.95) < 0.15


def test_crane_lifts_raise_a_tilt_alarm_and_an_all_clear(run):
    scenario, study, reports, series = run
    tilts = [r for r in reports if r.tilt]
    assert tilts and all(r.confirmed for r in tilts)
    assert not [r for r in reports if not r.tilt and r.confirmed and r.distance_alarm is None]
    index_of = {spec.container_id: n for n, spec in enumerate(scenario.containers)}
    lifted = set()
    for at, cid in study.emptyings():
        spec = scenario.container(cid)
        still_reporting = bool((series[index_of[cid]][0] > at).any())
        if spec.waste_kind != "residual" and spec.codec.startswith("milesight") and still_reporting:
            lifted.add(cid)
    tilted = {scenario.containers[r.index].container_id for r in tilts}
    assert tilted == lifted


def test_containers_at_the_fair_fill_faster_during_it(run):
    scenario, _, _, series = run
    fair = next(p for p in scenario.tourist_peaks if p.name == "mch-spring-fair")
    calendar = LocalCalendar(scenario.timezone)
    first_day = calendar.day_of(scenario.default_start.timestamp())
    fair_days = [
        d for d in range(first_day, first_day + DAYS) if fair.start <= _month_day(d) <= fair.end
    ]
    assert len(fair_days) == 4
    inside = [
        i
        for i, s in enumerate(scenario.containers)
        if s.waste_kind == "residual"
        and distance_m(s.lat, s.lon, fair.lat, fair.lon) <= fair.radius_m
    ]
    assert len(inside) >= 5
    by_weekday = _daily_increments(scenario, series, "residual")
    normal = np.mean([v for values in by_weekday.values() for v in values])
    rises = [
        rise * scenario.containers[index].capacity_litres
        for index in inside
        for day, rise in _day_rises(calendar, series[index])
        if day in fair_days
    ]
    assert rises, "no fair day was observed without an emptying"
    assert np.mean(rises) > 1.6 * normal
