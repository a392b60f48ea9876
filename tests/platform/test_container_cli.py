"""Registering and listing containers from the command line."""

from __future__ import annotations

import json

import pytest

from tilsyn.cli import main

pytestmark = pytest.mark.integration

ARGS = [
    "container",
    "add",
    "--container-id",
    "HER-PAPER-0007",
    "--dev-eui",
    "24E124713B000007",
    "--waste-kind",
    "paper",
    "--capacity-litres",
    "3000",
    "--empty-distance-mm",
    "2800",
    "--full-distance-mm",
    "400",
    "--latitude",
    "56.14",
    "--longitude",
    "8.97",
]


def test_add_then_list(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(ARGS) == 0
    assert main(["container", "list", "--json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("[") :])
    assert listed[0]["container_id"] == "HER-PAPER-0007"
    assert listed[0]["dev_eui"] == "24e124713b000007"
    assert listed[0]["fill_percent"] is None


def test_duplicate_and_invalid_registrations_fail_clearly(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(ARGS) == 0
    assert main(ARGS) == 2
    assert "is registered" in capsys.readouterr().err
    bad_geometry = [
        *ARGS[:-6],
        "--full-distance-mm",
        "2900",
        "--latitude",
        "56.14",
        "--longitude",
        "8.97",
    ]
    bad_geometry[3] = "HER-PAPER-0008"
    assert main(bad_geometry) == 2
    assert "less than empty_distance_mm" in capsys.readouterr().err
