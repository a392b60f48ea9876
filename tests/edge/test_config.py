"""Configuration from the platform: newer versions only, persisted, bad ones refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tilsyn.edge.config import ConfigStore
from tilsyn.edge.db import Database


def _config(version: int, **patient: Any) -> bytes:
    plan = {
        "schedule": {"spo2": ["09:00", "21:00"]},
        "thresholds": {"spo2": {"green_low": 94, "yellow_low": 90}},
        "instructions": {"red": "Use your rescue pack and call 113", "yellow": "Rest"},
    } | patient
    return json.dumps({"version": version, "patients": {"P-1": plan}}).encode()


@pytest.fixture
def store(tmp_path: Path) -> ConfigStore:
    return ConfigStore(Database(tmp_path))


def test_a_valid_config_is_applied_with_thresholds_from_the_clinical_plan(
    store: ConfigStore,
) -> None:
    assert store.offer(_config(3))
    plan = store.patient("P-1")
    assert plan is not None
    assert plan.schedule == {"spo2": ["09:00", "21:00"]}
    spo2 = plan.thresholds["spo2"]
    assert (spo2.kind, spo2.green_low, spo2.yellow_low, spo2.green_high) == ("spo2", 94, 90, None)
    assert store.patient("P-9") is None


def test_only_a_newer_version_replaces_the_applied_one(store: ConfigStore) -> None:
    assert store.offer(_config(3))
    assert not store.offer(_config(3, schedule={"spo2": ["10:00"]})), "same version again"
    assert not store.offer(_config(2, schedule={"spo2": ["10:00"]}))
    assert store.current is not None and store.current.version == 3
    assert store.offer(_config(4, schedule={"spo2": ["10:00"]}))
    plan = store.patient("P-1")
    assert plan is not None and plan.schedule == {"spo2": ["10:00"]}


def test_the_applied_config_survives_a_restart(tmp_path: Path) -> None:
    ConfigStore(Database(tmp_path)).offer(_config(7))
    again = ConfigStore(Database(tmp_path))
    assert again.current is not None and again.current.version == 7
    plan = again.patient("P-1")
    assert plan is not None and plan.thresholds["spo2"].green_low == 94


def test_weekdays_are_applied_and_kept_and_a_config_without_them_is_daily(
    tmp_path: Path,
) -> None:
    store = ConfigStore(Database(tmp_path))
    assert store.offer(_config(1))
    plan = store.patient("P-1")
    assert plan is not None and plan.weekdays == {}
    schedule = {"spo2": ["09:00"], "body_weight": ["07:30"]}
    assert store.offer(_config(2, schedule=schedule, weekdays={"body_weight": [1, 4]}))
    again = ConfigStore(Database(tmp_path)).patient("P-1")
    assert again is not None and again.weekdays == {"body_weight": [1, 4]}


@pytest.mark.parametrize(
    ("weekdays", "problem"),
    [
        ({"spo2": []}, "spo2: no weekday"),
        ({"spo2": [0, 3]}, "weekday 0 is not 1 (Monday) to 7 (Sunday)"),
        ({"spo2": [1, 8]}, "weekday 8 is not 1 (Monday) to 7 (Sunday)"),
        ({"spo2": [1, 4, 1]}, "spo2: the same weekday twice"),
        ({"spo2": ["1"]}, "valid integer"),
        ({"body_weight": [1]}, "weekdays for body_weight but no times for it in schedule"),
        ({"pain": [1]}, "pain"),
    ],
)
def test_bad_weekdays_refuse_the_config_and_say_why(
    store: ConfigStore, weekdays: dict[str, list[object]], problem: str
) -> None:
    store.offer(_config(4))
    assert not store.offer(_config(5, weekdays=weekdays))
    plan = store.patient("P-1")
    assert plan is not None and plan.weekdays == {}, "the applied config stays"
    assert problem in store.summary()["lastRefusal"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "json"),
        (_config(5, schedule={"spo2": ["25:00"]}), "HH:MM"),
        (_config(5, thresholds={"spo2": {"green_low": 90, "yellow_low": 94}}), "yellow_low"),
        (_config(5, thresholds={"pain": {"green_low": 1}}), "pain"),
        (_config(5, schedule={"x-ray": ["09:00"]}), "x-ray"),
        (json.dumps({"patients": {}}).encode(), "version"),
    ],
)
def test_a_bad_config_is_refused_and_recorded(
    store: ConfigStore, body: bytes, problem: str
) -> None:
    store.offer(_config(4))
    assert not store.offer(body)
    assert store.current is not None and store.current.version == 4, "the good one stays"
    summary = store.summary()
    assert (summary["version"], summary["refused"]) == (4, 1)
    assert problem in summary["lastRefusal"]


def test_a_withdrawn_config_is_no_refusal_and_the_applied_one_stays(store: ConfigStore) -> None:
    """The platform clears a removed hub's retained config with an empty message; the agent
    counted it as a refused config, which reads as a fault on the hub."""
    store.offer(_config(4))
    assert not store.offer(b"")
    assert store.current is not None and store.current.version == 4
    assert store.summary()["refused"] == 0
