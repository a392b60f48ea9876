"""A reading from a home device, validated before it may enter the queue.

Validation happens at the edge, where the faulty device is: the platform would store the
message's other entries and set an implausible one aside in its dead letters, but the hub's
own health report is where a failing probe shows (`dropped.byReason.invalid`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tilsyn.codecs.fhir import build_observation
from tilsyn.codecs.fhir_schema import check_id
from tilsyn.codecs.vital_signs import KIND_BY_NAME

ReadingKind = Literal[
    "blood_pressure",
    "heart_rate",
    "spo2",
    "body_temperature",
    "respiratory_rate",
    "body_weight",
    "blood_glucose",
]


class Reading(BaseModel):
    """One measurement; `value` is (systolic, diastolic) for blood pressure.

    `reading_id` becomes the Observation id: a source derives it from what was measured and
    when, so the same measurement read twice is recognisably the same.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    reading_id: str = Field(min_length=1, max_length=64)
    patient_id: str = Field(min_length=1, max_length=64)
    kind: ReadingKind
    value: float | tuple[float, float]
    taken_at: AwareDatetime
    device_id: str | None = None

    @model_validator(mode="after")
    def _plausible(self) -> Reading:
        for value, what in (
            (self.reading_id, "reading_id"),
            (self.patient_id, "patient_id"),
            (self.device_id, "device_id"),
        ):
            if value is not None:
                check_id(value, what)
        vital = KIND_BY_NAME[self.kind]
        if self.kind == "blood_pressure":
            if not isinstance(self.value, tuple):
                raise ValueError("blood_pressure needs (systolic, diastolic)")
            systolic, diastolic = (vital.plausible(v, "value") for v in self.value)
            if diastolic >= systolic:
                raise ValueError(f"diastolic {diastolic} is not below systolic {systolic}")
        elif isinstance(self.value, tuple):
            raise ValueError(f"{self.kind} needs one number, got a pair")
        else:
            vital.plausible(self.value, "value")
        return self

    def observation(self) -> dict[str, Any]:
        """The FHIR R4 vital-signs Observation the platform parses."""
        return build_observation(
            self.patient_id,
            self.kind,
            self.value,
            self.taken_at,
            observation_id=self.reading_id,
            device_id=self.device_id,
        )

    def plan_values(self) -> dict[str, float]:
        """Values by the kinds a patient's plan sets thresholds for (blood pressure: two)."""
        if isinstance(self.value, tuple):
            return {"systolic_bp": self.value[0], "diastolic_bp": self.value[1]}
        return {self.kind: self.value}
