"""The triage board's order: who a home-care nurse should look at first.

Patients fall into four levels, each the worst of what the patient's own plan, their latest
questionnaire answers, NEWS2 and the measurement schedule say:

1. act now: a red value by the patient's own thresholds, a red answer, or NEWS2 high (RCP:
   emergency);
2. call the patient: a yellow value or answer, NEWS2 medium or low-medium (urgent review), a
   scheduled measurement or questionnaire missed, or nothing measured within the last
   `quiet_after` (older values are no longer judged: a patient who stopped measuring must
   not sink below those who measure);
3. green;
4. nothing to judge yet: no thresholds for the values measured, or never measured.

Within a level: colour (of values and answers alike), then the NEWS2 band, then a missed task
first, then the longest time since the last measurement (never measured counts as longest).
Remaining ties are broken by patient id so the board does not reshuffle between refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tilsyn.platform.clinical.news2 import Band
from tilsyn.platform.clinical.plan import COLOUR_RANK, Colour, worst

BAND_RANK: dict[Band | None, int] = {
    "high": 0,
    "medium": 1,
    "low-medium": 2,
    "low": 3,
    "routine": 4,
    None: 5,
}
ACT_NOW, CALL, GREEN, NOTHING_JUDGED = range(4)
_BAND_LEVEL: dict[Band | None, int] = {"high": ACT_NOW, "medium": CALL, "low-medium": CALL}
_COLOUR_LEVEL: dict[Colour | None, int] = {"red": ACT_NOW, "yellow": CALL, "green": GREEN}


class PatientStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    patient_id: str
    colour: Colour | None = Field(description="worst colour of the latest values; None: none yet")
    news2_band: Band | None
    last_measurement: AwareDatetime | None = Field(description="the latest of any age")
    missed: tuple[str, ...] = Field(
        (), description="open missed-task warnings (measurements, questionnaires)"
    )
    answers_colour: Colour | None = Field(
        None, description="worst colour of the latest answers to each questionnaire"
    )
    answer_flags: tuple[str, ...] = Field((), description="the answers that are not green")


class TriagePosition(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int = Field(description="1 is the patient to look at first")
    patient_id: str
    reason: str


def triage(
    patients: Iterable[PatientStatus], now: datetime, quiet_after: timedelta
) -> list[TriagePosition]:
    ordered = sorted(patients, key=lambda p: _urgency(p, now, quiet_after))
    return [
        TriagePosition(position=n, patient_id=p.patient_id, reason=_reason(p, now, quiet_after))
        for n, p in enumerate(ordered, start=1)
    ]


def level(p: PatientStatus, now: datetime, quiet_after: timedelta) -> int:
    quiet = p.last_measurement is not None and now - p.last_measurement > quiet_after
    return min(
        _COLOUR_LEVEL.get(p.colour, NOTHING_JUDGED),
        _COLOUR_LEVEL.get(p.answers_colour, NOTHING_JUDGED),
        _BAND_LEVEL.get(p.news2_band, NOTHING_JUDGED),
        CALL if p.missed or quiet else NOTHING_JUDGED,
    )


def _urgency(
    p: PatientStatus, now: datetime, quiet_after: timedelta
) -> tuple[int, int, int, int, int, datetime | None, str]:
    never = p.last_measurement is None
    colour = worst((p.colour, p.answers_colour))
    colour_rank = len(COLOUR_RANK) if colour is None else COLOUR_RANK[colour]
    # Older last measurement sorts first; `never` ahead of any time, without comparing to None.
    return (
        level(p, now, quiet_after),
        colour_rank,
        BAND_RANK[p.news2_band],
        0 if p.missed else 1,
        0 if never else 1,
        p.last_measurement,
        p.patient_id,
    )


def _reason(p: PatientStatus, now: datetime, quiet_after: timedelta) -> str:
    colour = "no values judged yet" if p.colour is None else f"{p.colour} (worst latest value)"
    band = "NEWS2 not scored" if p.news2_band is None else f"NEWS2 {p.news2_band}"
    if p.last_measurement is None:
        last = "never measured"
    elif now - p.last_measurement > quiet_after:
        last = f"nothing measured for {_ago(now - p.last_measurement)}"
    else:
        last = f"last measurement {_ago(now - p.last_measurement)} ago"
    return "; ".join([colour, *_answers_said(p), band, *(f"missed: {m}" for m in p.missed), last])


def _answers_said(p: PatientStatus) -> list[str]:
    if p.answers_colour is None:
        return []
    flags = f" — {', '.join(p.answer_flags)}" if p.answer_flags else ""
    return [f"answers {p.answers_colour}{flags}"]


def _ago(elapsed: timedelta) -> str:
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
