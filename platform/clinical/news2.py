"""NEWS2, the National Early Warning Score 2 (Royal College of Physicians, 2017).

The RCP chart prints its bands as closed ranges of whole numbers (0.1 °C for temperature), which
leaves gaps between them: 35.0 | 35.1, 90 | 91. Real readings fall into those gaps, so every band
here is a cut-off on the real line: a band ends at its printed upper limit, inclusive, and the
next band starts just above it. Thus 35.05 °C scores 1 like 35.1, 38.05 °C scores 1 like 38.1,
90.5 mmHg scores 2 like 91, and 8.5 breaths/min scores 1 like 9. No reading is rounded first.

A parameter that was not measured is listed in `missing` and adds nothing to the total, so the
total and band of an incomplete set are a lower bound and say so through `complete`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tilsyn.platform.clinical.vitals import Vitals

log = logging.getLogger(__name__)

Band = Literal["routine", "low", "low-medium", "medium", "high"]
Cutoffs = Sequence[tuple[float, int]]
"""(upper limit, inclusive; points) in increasing order; the last limit is infinite."""

INF = math.inf
RESPIRATION_RATE: Cutoffs = ((8, 3), (11, 1), (20, 0), (24, 2), (INF, 3))
SPO2_SCALE_1: Cutoffs = ((91, 3), (93, 2), (95, 1), (INF, 0))
# Scale 2: 88–92 % scores 0, and so does anything above 92 % on air; on oxygen, saturations above
# the prescribed target score again, because they risk suppressing the hypoxic drive.
SPO2_SCALE_2_AIR: Cutoffs = ((83, 3), (85, 2), (87, 1), (INF, 0))
SPO2_SCALE_2_OXYGEN: Cutoffs = ((83, 3), (85, 2), (87, 1), (92, 0), (94, 1), (96, 2), (INF, 3))
SYSTOLIC_BP: Cutoffs = ((90, 3), (100, 2), (110, 1), (219, 0), (INF, 3))
PULSE: Cutoffs = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (INF, 3))
TEMPERATURE: Cutoffs = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (INF, 2))
OXYGEN_POINTS = 2
CONSCIOUSNESS_POINTS = {"A": 0, "C": 3, "V": 3, "P": 3, "U": 3}

PARAMETERS = (
    "respiration_rate",
    "spo2",
    "air_or_oxygen",
    "systolic_bp",
    "pulse",
    "consciousness",
    "temperature",
)
RESPONSES: dict[Band, str] = {
    "routine": "Routine: continue the agreed monitoring.",
    "low": "Low: a registered nurse assesses the patient and decides on monitoring or escalation.",
    "low-medium": "Low-medium (a 3 in one parameter): urgent ward review by a clinician.",
    "medium": "Medium: urgent response by a clinician competent in acute illness.",
    "high": "High: emergency response by a team with critical-care skills.",
}


class News2Score(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int
    points: dict[str, int]
    band: Band
    response: str
    missing: list[str]
    complete: bool
    scale: Literal[1, 2]


def points_for(value: float, cutoffs: Cutoffs) -> int:
    """Points of the first band whose upper limit the value does not exceed."""
    for upper, points in cutoffs:
        if value <= upper:
            return points
    raise ValueError(f"{value} lies above the last cut-off")  # only for a NaN or a bad table


def spo2_points(spo2: float, scale: Literal[1, 2], on_oxygen: bool | None) -> int | None:
    """None when scale 2 needs to know about oxygen and nobody said (above 92 % it matters)."""
    if scale == 1:
        return points_for(spo2, SPO2_SCALE_1)
    on_air = points_for(spo2, SPO2_SCALE_2_AIR)
    on_o2 = points_for(spo2, SPO2_SCALE_2_OXYGEN)
    if on_air == on_o2:
        return on_air
    if on_oxygen is None:
        return None
    return on_o2 if on_oxygen else on_air


def band_of(total: int, points: dict[str, int]) -> Band:
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if 3 in points.values():
        return "low-medium"
    return "low" if total >= 1 else "routine"


def score(vitals: Vitals) -> News2Score:
    points = _points(vitals)
    total = sum(points.values())
    band = band_of(total, points)
    missing = [name for name in PARAMETERS if name not in points]
    return News2Score(
        total=total,
        points=points,
        band=band,
        response=RESPONSES[band],
        missing=missing,
        complete=not missing,
        scale=vitals.spo2_scale,
    )


def score_readings(readings: Mapping[str, float], spo2_scale: Literal[1, 2] = 1) -> News2Score:
    """The score of the latest readings, by `Vitals` field, on the patient's SpO2 scale. A
    reading the limits refuse (one stored before ingest applied them) is left out and counted
    as missing: one faulty probe must not take the score, and with it the triage board and the
    alerts, away."""
    valid = {}
    for field, value in readings.items():
        try:
            Vitals.model_validate({field: value})
        except ValidationError:
            log.warning("NEWS2 leaves out %s %r: no living patient has it", field, value)
            continue
        valid[field] = value
    return score(Vitals.model_validate({**valid, "spo2_scale": spo2_scale}))


def _points(v: Vitals) -> dict[str, int]:
    """Points of every parameter that can be scored; the others are left out."""
    found: dict[str, int | None] = {
        "respiration_rate": _scored(v.respiration_rate, RESPIRATION_RATE),
        "spo2": None if v.spo2 is None else spo2_points(v.spo2, v.spo2_scale, v.on_oxygen),
        "air_or_oxygen": None if v.on_oxygen is None else OXYGEN_POINTS * v.on_oxygen,
        "systolic_bp": _scored(v.systolic_bp, SYSTOLIC_BP),
        "pulse": _scored(v.pulse, PULSE),
        "consciousness": None if v.consciousness is None else CONSCIOUSNESS_POINTS[v.consciousness],
        "temperature": _scored(v.temperature_c, TEMPERATURE),
    }
    return {name: points for name, points in found.items() if points is not None}


def _scored(value: float | None, cutoffs: Cutoffs) -> int | None:
    return None if value is None else points_for(value, cutoffs)
