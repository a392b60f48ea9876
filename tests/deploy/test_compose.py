"""docker-compose.yml is valid against the Compose Specification's schema (no Docker engine
runs here), and what it names is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "data" / "compose" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    if not SCHEMA.exists():
        pytest.skip(f"no Compose schema at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    # The schema names a draft-07 meta-schema by a URL jsonschema does not know; say it here.
    return jsonschema.Draft7Validator(schema)


def test_compose_file_matches_the_specification(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    validator.validate(compose)


def test_an_invalid_compose_file_is_caught(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    broken = {**compose, "services": {"platform": {"image": 42, "restart": ["always"]}}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_every_image_port_volume_and_variable_is_documented(compose: dict[str, Any]) -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    text = (ROOT / "docker-compose.yml").read_text()
    named = set(re.findall(r"\$\{([A-Z_]+)", text))
    for service in compose["services"].values():
        named |= set(service.get("environment", {}))
        named |= {service["image"]} if "image" in service else set()
        named |= {str(p).split(":")[0] for p in service.get("ports", [])}
    named |= set(compose.get("volumes", {}))
    missing = sorted(name for name in named if name not in guide)
    assert not missing, f"docs/deployment.md does not mention: {missing}"
