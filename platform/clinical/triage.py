"""The triage board's order: who a home-care nurse should look at first.

Red before yellow before green (the worst of each patient's latest values against their own
plan), then the NEWS2 band (high, medium, low-medium, low, routine, not scored), then the
patient who has gone longest without measuring. A patient whose values have not been judged yet
comes after green: missed-measurement warnings are the channel that brings those forward. A
patient who has never measured counts as the longest without a measurement. Remaining ties are
broken by patient id so the board does not reshuffle between refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tilsyn.platform.clinical.news2 import Band
from tilsyn.platform.clinical.plan import COLOUR_RANK, Colour

BAND_RANK: dict[Band | None, int] = {
    "high": 0,
    "medium": 1,
    "low-medium": 2,
    "low": 3,
    "routine": 4,
    None: 5,
}


class PatientStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    patient_id: str
    colour: Colour | None = Field(description="worst colour of the latest values; None: none yet")
    news2_band: Band | None
    last_measurement: AwareDatetime | None


class TriagePosition(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int = Field(description="1 is the patient to look at first")
    patient_id: str
    reason: str


def triage(patients: Iterable[PatientStatus], now: datetime) -> list[TriagePosition]:
    ordered = sorted(patients, key=_urgency)
    return [
        TriagePosition(position=n, patient_id=p.patient_id, reason=_reason(p, now))
        for n, p in enumerate(ordered, start=1)
    ]


def _urgency(p: PatientStatus) -> tuple[int, int, int, datetime | None, str]:
    never = p.last_measurement is None
    colour_rank = len(COLOUR_RANK) if p.colour is None else COLOUR_RANK[p.colour]
    # Older last measurement sorts first; `never` ahead of any time, without comparing to None.
    return colour_rank, BAND_RANK[p.news2_band], 0 if never else 1, p.last_measurement, p.patient_id


def _reason(p: PatientStatus, now: datetime) -> str:
    colour = "no values judged yet" if p.colour is None else f"{p.colour} (worst latest value)"
    band = "NEWS2 not scored" if p.news2_band is None else f"NEWS2 {p.news2_band}"
    if p.last_measurement is None:
        last = "never measured"
    else:
        last = f"last measurement {_ago(now - p.last_measurement)} ago"
    return f"{colour}; {band}; {last}"


def _ago(elapsed: timedelta) -> str:
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
