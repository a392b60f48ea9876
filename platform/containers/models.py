"""What the API and the command line accept and return for containers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tilsyn.codecs import CODEC_NAMES

DevEui = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{16}$", description="16 hex digits")]
FILL_SENSOR_CODECS = ("milesight-em310-udl", "milesight-em400-udl", "dragino-ldds75")
# Larger than any container a truck lifts (a roll-off skip holds about 40 m³), and far within
# the amounts the route planner takes.
MAX_CAPACITY_LITRES = 100_000


class ContainerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    container_id: str = Field(min_length=1, max_length=64)
    dev_eui: DevEui
    codec: str = "milesight-em310-udl"
    waste_kind: str = Field(min_length=1, max_length=32, examples=["glass", "paper", "residual"])
    capacity_litres: float = Field(ge=1, le=MAX_CAPACITY_LITRES)  # planned in whole litres
    empty_distance_mm: int = Field(gt=0, le=20_000)
    full_distance_mm: int = Field(ge=0, le=20_000)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str | None = None
    reporting_interval_s: int = Field(default=3600, gt=0)

    @model_validator(mode="after")
    def _check(self) -> ContainerIn:
        if self.codec not in FILL_SENSOR_CODECS or self.codec not in CODEC_NAMES:
            raise ValueError(f"codec must be one of {', '.join(FILL_SENSOR_CODECS)}")
        if self.full_distance_mm >= self.empty_distance_mm:
            raise ValueError("full_distance_mm must be less than empty_distance_mm")
        self.dev_eui = self.dev_eui.lower()
        return self


class ContainerEdit(BaseModel):
    """A change to a registered container: only the fields given change. Each field is checked
    by `ContainerIn` on the container as it would be after the change (`applied_to`), so the
    bounds and the rules across fields (full above empty) are the registration's own. The
    container's id never changes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    dev_eui: str | None = None
    codec: str | None = None
    waste_kind: str | None = None
    capacity_litres: float | None = None
    empty_distance_mm: int | None = None
    full_distance_mm: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    reporting_interval_s: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _keeps_its_id(cls, data: object) -> object:
        if isinstance(data, dict) and "container_id" in data:
            raise ValueError("container_id cannot change: it names the container everywhere")
        return data

    def applied_to(self, current: ContainerIn) -> ContainerIn:
        """The container after this change; raises `ValidationError` if that is no valid one."""
        changed = self.model_dump(exclude_unset=True)
        return ContainerIn.model_validate(current.model_dump() | changed)


FieldValue = str | int | float | None


class FieldChange(BaseModel):
    field: str
    old: FieldValue
    new: FieldValue


class ContainerChange(BaseModel):
    """One change on record: who made it, when, and each field it changed."""

    changed_at: datetime
    changed_by: str
    changes: list[FieldChange]


def changed_fields(before: ContainerIn, after: ContainerIn) -> list[FieldChange]:
    return [
        FieldChange(field=name, old=getattr(before, name), new=getattr(after, name))
        for name in ContainerIn.model_fields
        if getattr(before, name) != getattr(after, name)
    ]


class Retirement(BaseModel):
    """Why a container leaves service (taken off the street, replaced by a new one)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, examples=["recycling point closed"])

    @model_validator(mode="after")
    def _says_something(self) -> Retirement:
        self.reason = self.reason.strip()
        if not self.reason:
            raise ValueError("reason must say why the container is retired")
        return self


class Reinstatement(BaseModel):
    """Putting a retired container back in service, with the sensor it had unless another
    is given (its own may have been fitted elsewhere since)."""

    model_config = ConfigDict(extra="forbid")

    dev_eui: str | None = None
    codec: str | None = None


class RetiredContainer(BaseModel):
    """A container out of service, kept on record with its readings and changes."""

    container_id: str
    dev_eui: str = Field(description="the sensor it had, free now to be fitted to another")
    waste_kind: str
    capacity_litres: float
    latitude: float
    longitude: float
    address: str | None
    registered_at: datetime
    retired_at: datetime
    retired_by: str
    reason: str

    def summary(self) -> str:
        return (
            f"container {self.container_id} was retired on {self.retired_at:%Y-%m-%d}"
            f" by {self.retired_by}: {self.reason}"
        )


class ContainerState(BaseModel):
    container_id: str
    dev_eui: str
    waste_kind: str
    capacity_litres: float
    latitude: float
    longitude: float
    address: str | None
    empty_distance_mm: int
    full_distance_mm: int
    time: datetime | None = Field(description="time of the latest reading")
    distance_mm: int | None
    fill_percent: float | None
    # A battery or tilt report moves `time` on but measures no fill: the fill is this old.
    fill_at: datetime | None = Field(None, description="when the fill was measured")
    battery_percent: int | None
    tilt: bool | None
    temperature_c: float | None
