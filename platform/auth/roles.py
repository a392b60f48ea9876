"""Roles and what each may see: least privilege, decided in one place."""

from __future__ import annotations

from typing import Literal

Role = Literal["operator", "night_nurse", "home_care_nurse", "infection_control", "admin"]
ROLES: tuple[Role, ...] = (
    "operator",
    "night_nurse",
    "home_care_nurse",
    "infection_control",
    "admin",
)

# Which alert streams a role receives (alert audiences).
AUDIENCES: dict[Role, tuple[str, ...]] = {
    "operator": ("operator",),
    "night_nurse": ("night_nurse",),
    "home_care_nurse": ("home_care",),
    "infection_control": ("infection_control",),
    "admin": (),
}

# Capabilities, each granted to the roles whose job needs it.
CAN: dict[str, frozenset[Role]] = {
    "read_containers": frozenset({"operator"}),
    "manage_containers": frozenset({"operator", "admin"}),
    "read_ingest_problems": frozenset({"operator", "admin"}),
    # Night nurses see the tasks on their route (night API), never the records behind them.
    "read_patients": frozenset({"home_care_nurse"}),
    "triage": frozenset({"home_care_nurse"}),
    "edit_thresholds": frozenset({"home_care_nurse"}),
    "read_hygiene": frozenset({"infection_control"}),
    "manage_registry": frozenset({"admin"}),
    "edit_patient_home": frozenset({"home_care_nurse", "admin"}),
    "manage_users": frozenset({"admin"}),
    "read_audit_log": frozenset({"admin"}),
    "manage_webhooks": frozenset({"admin"}),
    "read_hub_health": frozenset({"home_care_nurse", "admin"}),
    "work_night_tasks": frozenset({"night_nurse"}),
    "request_visits": frozenset({"home_care_nurse"}),
    "plan_routes": frozenset({"operator"}),
}
