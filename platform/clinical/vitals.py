"""The vital signs NEWS2 reads, as one validated set taken at the same visit or home session.

Every parameter is optional because home kits rarely measure respiration rate or consciousness.
The limits refuse values no living patient can have (and device faults that look like them):
a negative rate, SpO2 above 100 %, a body temperature outside 10–50 °C. They are the codec's,
so ingest refuses what the score would. They do not judge whether a value is alarming; that
is the score's job.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tilsyn.codecs.vital_signs import KIND_BY_NAME

Consciousness = Literal["A", "C", "V", "P", "U"]
"""ACVPU: Alert, new Confusion, responds to Voice, responds to Pain, Unresponsive."""


def _within(kind: str, description: str) -> Any:
    limits = KIND_BY_NAME[kind]
    return Field(None, ge=limits.minimum, le=limits.maximum, description=description)


class Vitals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    respiration_rate: float | None = _within("respiratory_rate", "breaths per minute")
    spo2: float | None = _within("spo2", "oxygen saturation, %")
    spo2_scale: Literal[1, 2] = Field(
        1,
        description="2 only for hypercapnic respiratory failure with a prescribed 88–92 % target",
    )
    on_oxygen: bool | None = Field(None, description="supplemental oxygen; None when unknown")
    systolic_bp: float | None = _within("blood_pressure", "mmHg")
    pulse: float | None = _within("heart_rate", "beats per minute")
    consciousness: Consciousness | None = None
    temperature_c: float | None = _within("body_temperature", "°C")
