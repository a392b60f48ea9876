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
