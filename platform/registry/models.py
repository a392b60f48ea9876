"""What can be registered. Badges carry a ward and a role category, never a person."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tilsyn.platform.containers.models import DevEui

ZoneType = Literal["patient_zone", "clean_room", "unclean_room"]
Role = Literal["nurse", "doctor", "care_assistant", "therapist", "cleaner", "other"]
# NEWS2's SpO2 scale: 2 only when a clinician prescribed a target of 88-92 % (hypercapnic
# respiratory failure); everyone else is scored on scale 1.
Spo2Scale = Literal[1, 2]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZoneIn(_Strict):
    zone_id: int = Field(ge=0, le=65535)
    room_id: str = Field(min_length=1)
    zone_type: ZoneType
    name: str = ""


class WardIn(_Strict):
    ward_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    hospital: str = ""
    compliance_target: float = Field(default=0.8, ge=0, le=1)
    zones: list[ZoneIn] = []


class DispenserIn(_Strict):
    dev_eui: DevEui
    ward_id: str
    dispenser_id: int = Field(ge=0, le=65535)
    zone_id: int = Field(ge=0, le=65535)
    room_id: str = Field(min_length=1)
    reporting_interval_s: int = Field(default=3600, gt=0)


class BadgeIn(_Strict):
    dev_eui: DevEui
    ward_id: str
    role: Role


class PatientHome(_Strict):
    """Where a patient lives: a night nurse is sent here for an alert or a visit."""

    address: str = Field(min_length=1, max_length=200)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class PatientIn(_Strict):
    patient_id: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1)
    home: PatientHome | None = None
    spo2_scale: Spo2Scale = 1


class Spo2ScaleIn(_Strict):
    spo2_scale: Spo2Scale


class HubIn(_Strict):
    hub_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    unit: str = Field(min_length=1)
    patient_ids: list[str] = []
