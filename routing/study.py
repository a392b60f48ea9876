"""The 30-day Herning study: two fixed schedules against the sensor-driven plan.

All strategies start from the same simulated town (same seed): two weeks of history under
the fixed schedule, whose reports the planner has seen, then a week in which each strategy
already runs (the sensor-driven one clears what the fixed schedule left full), then the
counted days. Trucks work Monday to Friday under all three; the sensor-driven plan may also
send one on a Saturday for what would overflow before Monday.

- Fixed: the simulator empties the scenario's fixed plan at its own times; each day those
  containers, all mandatory, are routed with the same solver, trucks and travel model as the
  sensor-driven plan, so all strategies' km come from the same routing.
- Sized: a fixed schedule raised where the scenario's would let containers overflow
  (`study_sized`), sized at the take-over from the history; each day's due containers, all
  mandatory, are routed the same way and emptied at their visits' service start.
- Sensor-driven: each working morning the reports so far become forecasts
  (`study_forecast`), `study_sensor` chooses with `select_stops` and routes with
  `solve_collection`, and the simulator empties what the plan visits at its service start.

Every plan goes through the independent checker; overflow-hours and fill at emptying come from
the simulator's ground truth, which the planner never sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.collection_fleet import KindService, herning_services
from tilsyn.routing.geo import Location
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Plan
from tilsyn.routing.study_forecast import FillTracker, KnownEvent, SensedContainer
from tilsyn.routing.study_sensor import SensorRules, sensor_day
from tilsyn.routing.study_sized import SizedSchedule, SizingRule, size_schedule
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_select import ContainerForecast, SelectionPolicy
from tilsyn.routing.waste_solver import solve_collection
from tilsyn.sim.clock import LocalCalendar, to_datetime, to_seconds, weekday_of_day
from tilsyn.sim.devices.container_payload import Report
from tilsyn.sim.scenario import load_scenario
from tilsyn.sim.scenario.collection import week_number
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.waste_study import WasteStudy

STRATEGIES = ("fixed", "sized", "sensor")
# The command's and the bench's budget per plan unless seconds are asked for: routes about as
# short as 2 s of search gives, and the same on any machine (the 30 days take about 5 min).
STUDY_SOLUTIONS = 200
FRIDAY = 4


@dataclass(frozen=True)
class StudySetup:
    """`days` counted from the scenario's default start; `history_days` of the fixed schedule
    before the `warmup_days` in which each strategy already runs; `seconds` per plan.

    `weekdays`: when the sensor-driven plan looks at each kind's containers (Monday 0); None
    looks at each container on its district's day in the fixed plan, every week. A container
    is emptied on such a day if its overflow risk before the next one reaches `must_above`.
    On other working days a truck goes out only for a risk of `urgent_above` before the next
    working day; one that goes out anyway also takes containers at `along_above`. With
    `saturday_runs`, a truck goes out on Saturdays for a risk of `urgent_above` before Monday.

    `solutions`: stop each plan's search after that many solutions instead of after `seconds`.
    A wall-clock budget makes the routes, and so the km and even the overflow, depend on how
    busy the machine is (DOMAIN.md §7); a solution count gives the same study on any machine.

    `sizing`: how the sized fixed schedule chooses each container's rhythm."""

    days: int = 30
    seed: int = 1
    seconds: float = 2.0
    solutions: int | None = None
    history_days: int = 14
    warmup_days: int = 7
    visit_h: float = 10.0
    must_above: float = 0.05
    consider_above: float = 0.05
    urgent_above: float = 0.5
    along_above: float = 0.1
    saturday_runs: bool = True
    overflow_km: float = 25.0
    weekdays: dict[str, tuple[int, ...] | None] = field(
        default_factory=lambda: {"glass": (0,), "paper": (2,), "residual": None}
    )
    sizing: SizingRule = field(default_factory=SizingRule)
    overrides: dict[str, object] = field(default_factory=dict)  # scenario parameters

    def __post_init__(self) -> None:
        if self.days < 1 or self.history_days < 1 or self.warmup_days < 0:
            raise ValueError("a study needs at least one day and one day of history")
        if not self.seconds > 0:
            raise ValueError("seconds per plan must be positive")
        if self.solutions is not None and self.solutions < 1:
            raise ValueError("solutions per plan must be at least 1")
        if any(w is not None and not set(w) <= set(range(5)) for w in self.weekdays.values()):
            raise ValueError("collection weekdays are Monday (0) to Friday (4)")

    @property
    def stop(self) -> Stop:
        """Each plan's search budget: the solution count alone when one is set."""
        if self.solutions is None:
            return Stop(self.seconds)
        return Stop(math.inf, self.solutions)

    @property
    def budget_text(self) -> str:
        if self.solutions is None:
            return f"{self.seconds:g} s per plan"
        return f"{self.solutions} solutions per plan"


def budget(seconds: float | None, solutions: int | None) -> dict[str, Any]:
    """`StudySetup` fields for a budget from the command line: wall-clock only if asked for."""
    if seconds is not None:
        return {"seconds": seconds}
    return {"solutions": STUDY_SOLUTIONS if solutions is None else solutions}


@dataclass(frozen=True)
class StudyDay:
    """One kind's plan on one working day; `counted` is False in the warm-up days."""

    strategy: str
    kind: str
    day: int  # local day number
    counted: bool
    request: CollectionRequest
    plan: Plan
    violations: tuple[str, ...]

    @property
    def emptied(self) -> list[str]:
        return self.plan.served_ids("container")


@dataclass
class StrategyRun:
    """Everything a strategy did, and the ground truth over the counted days."""

    strategy: str
    days: list[StudyDay]
    emptyings: list[tuple[float, str, float]]  # (UTC s, container, true fill before)
    overflow_hours: dict[str, float]
    warmup_overflow_hours: float
    window: tuple[float, float]  # counted UTC seconds
    truth: WasteStudy  # the simulated town, for checking the figures
    planner: FillTracker  # what the planner knew
    schedule: SizedSchedule | None = None  # the sized strategy's rhythms


def run_study(
    setup: StudySetup,
    progress: Callable[[str], None] | None = None,
    strategies: Sequence[str] = STRATEGIES,
) -> dict[str, StrategyRun]:
    """The strategies over the same town; each plan is checked as it is made."""
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; known: {', '.join(STRATEGIES)}")
    scenario = load_scenario("herning", setup.seed, setup.overrides or None)
    travel = CachedTravel(HaversineSource())
    return {name: _run(name, scenario, setup, travel, progress) for name in strategies}


class _Town:
    """One strategy's simulated town, the planner's view of it, and the calendar."""

    def __init__(self, scenario: Scenario, setup: StudySetup) -> None:
        self.scenario, self.setup = scenario, setup
        self.calendar = LocalCalendar(scenario.timezone)
        self.first = self.calendar.day_of(to_seconds(scenario.default_start))
        self.takeover = self.first - setup.warmup_days
        self.history = self.takeover - setup.history_days
        self.end = self.first + setup.days
        self.truth = WasteStudy(scenario, self.midnight(self.history), collection="fixed")
        self.fixed_plan = self.truth.plan
        self.tracker = FillTracker(_sensed(scenario), _calendar(scenario, self.calendar))
        self.reported = 0  # fixed-plan emptyings passed on to the tracker
        self.schedule: SizedSchedule | None = None

    def size(self) -> SizedSchedule:
        """The sized schedule from what the planner heard up to now (the take-over) and the
        old schedule's record of when each container was last emptied."""
        collection, plan = self.scenario.collection, self.fixed_plan
        assert collection is not None and plan is not None
        kinds = {c.container_id: c.waste_kind for c in self.scenario.containers}
        weeks = range(week_number(self.takeover), week_number(self.end - 1) + 1)
        last = plan.last_before(self.calendar.day_start(self.takeover))
        return size_schedule(
            self.tracker,
            self.takeover,
            last,
            collection.slots,
            kinds,
            self.setup.sizing,
            weeks,
            self.calendar,
        )

    def midnight(self, day: int) -> datetime:
        zone = self.scenario.default_start.tzinfo
        return to_datetime(self.calendar.day_start(day)).astimezone(zone)

    def advance(self, day: int, trucks_report: bool) -> None:
        """Simulate up to `day`'s midnight; the planner hears the sensors and, while the fixed
        plan runs, what its trucks emptied."""
        reports = self.truth.advance(self.midnight(day))
        if trucks_report:
            emptyings = self.truth.emptyings()
            for at, cid in emptyings[self.reported :]:
                self.tracker.emptied(cid, at)
            self.reported = len(emptyings)
        _feed(self.tracker, self.scenario, reports)

    def empty(self, container_id: str, at: datetime) -> None:
        self.truth.empty(container_id, at)
        self.tracker.emptied(container_id, to_seconds(at))


def _run(
    strategy: str,
    scenario: Scenario,
    setup: StudySetup,
    travel: CachedTravel,
    progress: Callable[[str], None] | None,
) -> StrategyRun:
    town = _Town(scenario, setup)
    days: list[StudyDay] = []
    for day in range(town.history, town.end):
        # Up to the take-over midnight the fixed plan ran, and its trucks report what they did.
        town.advance(day, trucks_report=strategy == "fixed" or day <= town.takeover)
        if day == town.takeover and strategy != "fixed":
            town.truth.take_over()
            if strategy == "sized":
                town.schedule = town.size()
        if day < town.takeover or not _works(strategy, setup, int(weekday_of_day(day))):
            continue
        for kind, service in herning_services().items():
            request, plan = _plan(strategy, town, day, kind, service, travel)
            violations = tuple(_check(request, plan, travel))
            days.append(StudyDay(strategy, kind, day, day >= town.first, request, plan, violations))
            if progress:
                progress(
                    f"{strategy} day {day - town.first:+d} {kind}: "
                    f"{len(plan.served_ids('container'))} emptied, {plan.km:.1f} km"
                )
    town.truth.advance(town.midnight(town.end))
    first, end = town.midnight(town.first), town.midnight(town.end)
    window = (to_seconds(first), to_seconds(end))
    emptyings = [e for e in town.truth.emptied_fill() if window[0] <= e[0] < window[1]]
    overflow = town.truth.overflow_hours_each(first, end)
    warmup = sum(town.truth.overflow_hours_each(town.midnight(town.takeover), first).values())
    return StrategyRun(
        strategy, days, emptyings, overflow, warmup, window, town.truth, town.tracker, town.schedule
    )


def _works(strategy: str, setup: StudySetup, weekday: int) -> bool:
    """Trucks work Monday to Friday; the sensor-driven plan may also send one on Saturdays."""
    return weekday <= FRIDAY or (strategy == "sensor" and setup.saturday_runs and weekday == 5)


def _plan(
    strategy: str, town: _Town, day: int, kind: str, service: KindService, travel: CachedTravel
) -> tuple[CollectionRequest, Plan]:
    """One kind's day under a strategy; the sized and sensor-driven plans' visits are carried
    out (the simulator empties the scenario's fixed plan itself)."""
    setup, origin = town.setup, town.midnight(day)
    containers = [c for c in town.scenario.containers if c.waste_kind == kind]
    if strategy == "fixed":
        assert town.fixed_plan is not None
        on_day = {cid for cid, _ in town.fixed_plan.on_day(day)}
        planned = sorted(c.container_id for c in containers if c.container_id in on_day)
        forecasts = town.tracker.forecasts(to_seconds(origin), planned, service, 24.0)
        return _mandatory_day(origin, forecasts, service, setup, travel)
    if strategy == "sized":
        assert town.schedule is not None
        due = town.schedule.due_on(day, (c.container_id for c in containers))
        forecasts = town.tracker.forecasts(to_seconds(origin), due, service, 24.0)
        request, plan = _mandatory_day(origin, forecasts, service, setup, travel)
        _carry_out(town, origin, plan)
        return request, plan
    assert town.scenario.collection is not None
    district_day = {s.container_id: (s.weekday,) for s in town.scenario.collection.slots}
    weekdays = setup.weekdays.get(kind)
    looks = {c.container_id: weekdays or district_day[c.container_id] for c in containers}
    policy = SelectionPolicy(
        visit_h=setup.visit_h,
        must_above=setup.must_above,
        consider_above=setup.consider_above,
        overflow_km=setup.overflow_km,
    )
    rules = SensorRules(looks, policy, setup.urgent_above, setup.along_above)
    chosen = sensor_day(origin, day, town.tracker, rules, service, travel, setup.stop, setup.seed)
    _carry_out(town, origin, chosen.plan)
    return chosen.request, chosen.plan


def _carry_out(town: _Town, origin: datetime, plan: Plan) -> None:
    """The simulator empties each visited container at its visit's service start."""
    for route in plan.routes:
        for visit in route.visits:
            if visit.kind == "container":
                town.empty(visit.id, origin + timedelta(seconds=visit.start))


def _sensed(scenario: Scenario) -> list[SensedContainer]:
    return [
        SensedContainer(
            c.container_id,
            Location(c.container_id, c.lat, c.lon),
            round(c.capacity_litres),
            c.empty_distance_mm,
            c.full_distance_mm,
        )
        for c in scenario.containers
    ]


def _calendar(scenario: Scenario, calendar: LocalCalendar) -> list[KnownEvent]:
    """The scenario's yearly events as the town's calendar lists them (dates and place only),
    for the years the study touches."""
    year = scenario.default_start.year
    events = []
    for peak in scenario.tourist_peaks:
        for y in (year - 1, year, year + 1):
            first = calendar.day_of(datetime(y, *peak.start, 12).timestamp())
            last = calendar.day_of(datetime(y + (peak.end < peak.start), *peak.end, 12).timestamp())
            events.append(
                KnownEvent(
                    peak.name,
                    calendar.day_start(first),
                    calendar.day_start(last + 1),
                    Location(peak.name, peak.lat, peak.lon),
                    peak.radius_m,
                )
            )
    return events


def _feed(tracker: FillTracker, scenario: Scenario, reports: Sequence[Report]) -> None:
    """Ordinary readings only: a tilted sensor (crane lifting it) reads nothing useful."""
    for report in reports:
        if not report.tilt:
            cid = scenario.containers[report.index].container_id
            tracker.read(cid, report.at, report.distance_mm)


def _mandatory_day(
    origin: datetime,
    forecasts: Sequence[ContainerForecast],
    service: KindService,
    setup: StudySetup,
    travel: CachedTravel,
) -> tuple[CollectionRequest, Plan]:
    """A fixed schedule's containers for the day, all mandatory, loads as the sensors expect
    (the sensors' forecasts only weigh the loads; what is emptied does not depend on them)."""
    stops = tuple(
        ContainerStop(
            id=f.container_id,
            location=f.location,
            volume_l=round(f.capacity_l * f.expected_fill(setup.visit_h)),
            weight_kg=round(f.capacity_l * f.expected_fill(setup.visit_h) * f.density_kg_per_l),
            service=f.service,
            quiet=f.quiet,
            mandatory=True,
        )
        for f in forecasts
    )
    fleet = service.fleet
    request = CollectionRequest(
        origin, fleet.trucks, fleet.disposal_sites, stops, fleet.quiet_hours, fleet.max_tips
    )
    return request, solve_collection(request, travel, setup.stop, setup.seed)


def _check(request: CollectionRequest, plan: Plan, travel: CachedTravel) -> list[str]:
    places = [t.depot for t in request.trucks] + [s.location for s in request.disposal_sites]
    matrix = travel.matrix(places + [s.location for s in request.stops])
    return check_collection_plan(request, plan, matrix)
