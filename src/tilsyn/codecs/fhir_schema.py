"""Pydantic shapes for the parts of FHIR R4 resources Tilsyn reads, and their validation.

Models allow extra elements: real documents carry narrative, extensions and identifiers we do
not need, and refusing them would refuse valid FHIR. What we do read is typed strictly, so a
string where a number belongs is an error rather than a silent conversion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from tilsyn.codecs.errors import DecodeError

FiniteNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, Field(strict=True, min_length=1)]
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class Element(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Coding(Element):
    system: Text | None = None
    code: Text | None = None
    display: str | None = None


class CodeableConcept(Element):
    coding: list[Coding] = []
    text: str | None = None


class Quantity(Element):
    value: FiniteNumber
    unit: str | None = None
    system: Text | None = None
    code: Text | None = None


class Reference(Element):
    reference: Text


class Component(Element):
    code: CodeableConcept
    valueQuantity: Quantity | None = None


ObservationStatus = Literal["final", "amended", "corrected"]
# A later version of an Observation already sent: it replaces the one with the same id.
CORRECTING_STATUSES: frozenset[str] = frozenset({"amended", "corrected"})


class ObservationDoc(Element):
    resourceType: Literal["Observation"]
    id: Text | None = None
    # Only results that stand: "preliminary", "entered-in-error" etc. must not reach triage.
    status: ObservationStatus
    code: CodeableConcept
    subject: Reference
    effectiveDateTime: AwareDatetime
    valueQuantity: Quantity | None = None
    component: list[Component] = []
    device: Reference | None = None


Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], doc: Mapping[str, Any], resource: str) -> Model:
    """`doc` as `model`, or DecodeError naming the resource and its first offending field."""
    if not isinstance(doc, Mapping):
        raise DecodeError(f"{resource}: expected a JSON object, got {type(doc).__name__}")
    try:
        return model.model_validate(dict(doc))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "document"
        raise DecodeError(f"{resource}: {field}: {first['msg']}") from None


def check_id(value: str, what: str) -> str:
    """A FHIR logical id; anything else cannot be written into a reference safely."""
    if not isinstance(value, str) or not FHIR_ID.fullmatch(value):
        raise ValueError(f"{what} must be a FHIR id (1-64 of A-Z a-z 0-9 - .), got {value!r}")
    return value


def reference_id(reference: Reference, resource_type: str, field: str) -> str:
    """The id in a `Type/id` reference; absolute URLs ending in `Type/id` are accepted too."""
    match = re.fullmatch(rf"(?:.*/)?{resource_type}/([A-Za-z0-9\-.]{{1,64}})", reference.reference)
    if match is None:
        reason = f"{field}.reference must point to a {resource_type}, got {reference.reference!r}"
        raise DecodeError(f"{resource_type} reference: {reason}")
    return match.group(1)


def plain_utc_offset(moment: datetime) -> datetime:
    """Swap pydantic's tzinfo class for the standard one, keeping the same offset."""
    offset = moment.utcoffset()
    return moment if offset is None else moment.replace(tzinfo=timezone(offset))


def fhir_datetime(moment: datetime, what: str) -> str:
    """FHIR dateTime with a time needs a zone; a naive datetime cannot be placed in time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.isoformat()
