"""The vital signs NEWS2 reads, as one validated set taken at the same visit or home session.

Every parameter is optional because home kits rarely measure respiration rate or consciousness.
The limits refuse values no living patient can have (and device faults that look like them):
a negative rate, SpO2 above 100 %, a body temperature outside 10–50 °C. They do not judge
whether a value is alarming; that is the score's job.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Consciousness = Literal["A", "C", "V", "P", "U"]
"""ACVPU: Alert, new Confusion, responds to Voice, responds to Pain, Unresponsive."""


class Vitals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    respiration_rate: float | None = Field(None, ge=0, le=100, description="breaths per minute")
    spo2: float | None = Field(None, ge=0, le=100, description="oxygen saturation, %")
    spo2_scale: Literal[1, 2] = Field(
        1,
        description="2 only for hypercapnic respiratory failure with a prescribed 88–92 % target",
    )
    on_oxygen: bool | None = Field(None, description="supplemental oxygen; None when unknown")
    systolic_bp: float | None = Field(None, ge=0, le=400, description="mmHg")
    pulse: float | None = Field(None, ge=0, le=400, description="beats per minute")
    consciousness: Consciousness | None = None
    temperature_c: float | None = Field(None, ge=10, le=50, description="°C")
