"""`tilsyn sim run|scenarios|registry`."""

from __future__ import annotations

import json

from tilsyn.cli import main
from tilsyn.sim import Emission


def test_run_writes_emissions_as_json_lines(tmp_path, capsys):
    out = tmp_path / "ward.jsonl"
    assert main(["sim", "run", "ward", "--seed", "3", "--days", "0.1", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"at", "topic", "qos", "payload"}
        assert isinstance(record["payload"], str) and json.loads(record["payload"])
        emission = Emission.from_json_line(line)
        assert emission.to_json_line() == line
    assert f"{len(lines)} emissions" in capsys.readouterr().err


def test_run_in_the_things_stack_format(tmp_path):
    out = tmp_path / "tts.jsonl"
    arguments = ["sim", "run", "ward", "--days", "0.05", "--format", "tts", "--out", str(out)]
    assert main(arguments) == 0
    topics = [json.loads(line)["topic"] for line in out.read_text().splitlines()]
    assert topics and all(t.startswith("v3/hygiene-m3@rm-hospitals/devices/") for t in topics)


def test_scenarios_lists_every_scenario_with_counts(capsys):
    assert main(["sim", "scenarios"]) == 0
    listing = capsys.readouterr().out
    assert "herning" in listing and "1000 containers" in listing
    assert "60 patients" in listing and "6 units" in listing and "24 dispensers" in listing


def test_registry_document(tmp_path):
    out = tmp_path / "registry.json"
    assert main(["sim", "registry", "herning", "--seed", "2", "--out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert len(document["containers"]) == 1000
    assert len(document["lorawan"]["devices"]) == 1000
    assert {"dev_eui", "codec", "empty_distance_mm", "full_distance_mm"} <= set(
        document["containers"][0]
    )
