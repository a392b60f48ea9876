"""The vital signs Tilsyn exchanges as FHIR R4 Observations: LOINC codes and UCUM units.

Sources: the FHIR R4 vital-signs profile and the LOINC codes it names (DOMAIN.md §5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
VITALSIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"


@dataclass(frozen=True)
class VitalKind:
    """How one kind of measurement is coded.

    `codings` are written on build, first the profile's own code; any code in `codings` or
    `other_codes` identifies the kind on parse, so a hub that sends only one of them is read.
    `units` are the accepted UCUM codes, the first one written and reported.
    """

    name: str
    text: str
    codings: tuple[tuple[str, str], ...]
    units: tuple[str, ...]
    unit_display: str
    maximum: float | None = None
    other_codes: tuple[str, ...] = ()
    minimum: float = 0.0

    @property
    def unit(self) -> str:
        return self.units[0]

    @property
    def codes(self) -> tuple[str, ...]:
        return (*(code for code, _ in self.codings), *self.other_codes)

    def plausible(self, value: object, what: str) -> float:
        """A finite number within the kind's range: what no living patient can have (SpO2
        above 100 %, a body temperature of 8 °C) is a device fault, refused at the door, so
        that nothing stored can break a NEWS2 score."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name} {what} must be a number, got {value!r}")
        top = math.inf if self.maximum is None else self.maximum
        if not math.isfinite(value) or value < self.minimum or value > top:
            raise ValueError(f"{self.name} {what} {value} is outside {self.minimum:g}..{top:g}")
        return float(value)


KINDS: tuple[VitalKind, ...] = (
    VitalKind(
        "blood_pressure",
        "Blood pressure systolic and diastolic",
        (("85354-9", "Blood pressure panel with all children optional"),),
        ("mm[Hg]",),
        "mmHg",
        maximum=400.0,
        other_codes=("55284-4",),  # the older "systolic and diastolic" panel code
    ),
    VitalKind(
        "heart_rate",
        "Heart rate",
        (("8867-4", "Heart rate"),),
        ("/min", "{beats}/min"),
        "beats/minute",
        maximum=400.0,
    ),
    VitalKind(
        "spo2",
        "Oxygen saturation",
        (
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
            ("2708-6", "Oxygen saturation in Arterial blood"),
        ),
        ("%",),
        "%",
        maximum=100.0,
    ),
    VitalKind(
        "body_temperature",
        "Body temperature",
        (("8310-5", "Body temperature"),),
        ("Cel",),
        "°C",
        maximum=50.0,
        minimum=10.0,
    ),
    VitalKind(
        "respiratory_rate",
        "Respiratory rate",
        (("9279-1", "Respiratory rate"),),
        ("/min", "{breaths}/min"),
        "breaths/minute",
        maximum=100.0,
    ),
    VitalKind("body_weight", "Body weight", (("29463-7", "Body weight"),), ("kg",), "kg"),
    VitalKind(
        "blood_glucose",
        "Blood glucose",
        (("15074-8", "Glucose [Moles/volume] in Blood"),),
        ("mmol/L",),
        "mmol/L",
    ),
)

BLOOD_PRESSURE_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("systolic", "8480-6", "Systolic blood pressure"),
    ("diastolic", "8462-4", "Diastolic blood pressure"),
)

VITAL_KINDS: tuple[str, ...] = tuple(kind.name for kind in KINDS)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
KIND_BY_LOINC = {code: kind for kind in KINDS for code in kind.codes}
