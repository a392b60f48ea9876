"""Registry records of home follow-up and night nursing: patients, plans, hubs, units, tasks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Colour = Literal["green", "yellow", "red"]
MEASUREMENT_KINDS = (
    "blood_pressure",
    "heart_rate",
    "spo2",
    "body_temperature",
    "respiratory_rate",
    "body_weight",
    "blood_glucose",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Personal bounds set by staff from the patient's baseline: inside the yellow bounds is
    green, between yellow and red bounds yellow, at or beyond a red bound red. A bound of
    `None` means that side is not watched.
    """

    red_low: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_high: float | None = None

    def colour(self, value: float) -> Colour:
        if (self.red_low is not None and value <= self.red_low) or (
            self.red_high is not None and value >= self.red_high
        ):
            return "red"
        if (self.yellow_low is not None and value <= self.yellow_low) or (
            self.yellow_high is not None and value >= self.yellow_high
        ):
            return "yellow"
        return "green"


@dataclass(frozen=True, slots=True)
class RiseRule:
    """A rise over a window (heart failure: weight up 2 kg in 3 days is red)."""

    window_days: float
    yellow: float
    red: float


@dataclass(frozen=True, slots=True)
class Schedule:
    """Local times of day ("HH:MM") on the given weekdays (Monday 0)."""

    times: tuple[str, ...]
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    def hours(self) -> tuple[float, ...]:
        return tuple(int(t[:2]) + int(t[3:5]) / 60 for t in self.times)


@dataclass(frozen=True, slots=True)
class MeasurementPlan:
    """One measurement task of a plan. `thresholds` is keyed by "value", or by "systolic" and
    "diastolic" for blood pressure. `device_id` names the home device that takes it.
    """

    kind: str
    schedule: Schedule
    thresholds: Mapping[str, Thresholds]
    device_id: str
    rise: RiseRule | None = None


@dataclass(frozen=True, slots=True)
class QuestionnairePlan:
    """A self-report questionnaire of the plan (canonical name, e.g. "copd-daily")."""

    questionnaire: str
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class PatientSpec:
    """A followed patient. `baseline` holds the patient's usual values per measurement kind
    (blood pressure as "systolic"/"diastolic"); `adherence` is the probability that a
    scheduled task is done. `location_id` is set for residents of a care location.
    """

    patient_id: str
    hub_id: str
    unit: str
    conditions: tuple[str, ...]
    baseline: Mapping[str, float]
    measurements: tuple[MeasurementPlan, ...]
    questionnaires: tuple[QuestionnairePlan, ...]
    adherence: float
    lat: float
    lon: float
    location_id: str | None = None


@dataclass(frozen=True, slots=True)
class HubSpec:
    """A home-monitoring hub (or a care location's shared hub) and the patients it serves.

    Connectivity is patchy: outages start at `outages_per_day` on average and last a
    log-normal time with median `outage_median_minutes`; the hub buffers meanwhile.
    """

    hub_id: str
    unit: str
    patient_ids: tuple[str, ...]
    outages_per_day: float
    outage_median_minutes: float


@dataclass(frozen=True, slots=True)
class EpisodeParams:
    """A deterioration episode kind: who gets it, how often, its time course and its effect.

    The effect rises linearly over `ramp_days`, holds `plateau_days`, and fades over
    `recovery_days`; at full effect each measurement is shifted by `shift[kind]`.
    """

    kind: str
    conditions: tuple[str, ...]
    rate_per_year: float
    ramp_days: float
    plateau_days: float
    recovery_days: float
    shift: Mapping[str, float]
    questions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variation:
    """How a measured quantity varies: day-to-day sd of the true value around the baseline,
    the device's measurement noise sd, and the number of decimals the device reports."""

    day: float
    noise: float
    decimals: int


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A questionnaire item: answer options best first, or `None` for a yes/no question."""

    link_id: str
    options: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A nursing unit of the night service (Trondheim: six of them)."""

    unit_id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class LocationSpec:
    """A nursing home or 24-hour care home that the mobile night nurses visit."""

    location_id: str
    unit_id: str
    name: str
    kind: Literal["nursing_home", "care_home"]
    lat: float
    lon: float
    residents: int
    hub_id: str


@dataclass(frozen=True, slots=True)
class NurseSpec:
    """A registered nurse of the mobile night team, starting and ending at the base."""

    nurse_id: str
    base_lat: float
    base_lon: float
    shift_start: str
    shift_end: str


@dataclass(frozen=True, slots=True)
class NightTaskSpec:
    """A planned nurse-only task of one night, with its time window (UTC seconds)."""

    task_id: str
    location_id: str
    kind: str
    earliest: float
    latest: float
    duration_min: float
    priority: int
