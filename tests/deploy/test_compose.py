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


def test_browsers_reach_the_platform_only_through_the_tls_proxy(compose: dict[str, Any]) -> None:
    platform, proxy = compose["services"]["platform"], compose["services"]["proxy"]
    assert "ports" not in platform, "the platform's plain HTTP port is published"
    assert {str(p) for p in proxy["ports"]} == {"80:80", "443:443"}
    mounted = {v.split(":")[0]: v.split(":")[1] for v in proxy["volumes"]}
    caddyfile = mounted["./platform/web/Caddyfile"]
    assert caddyfile == "/etc/caddy/Caddyfile", "the caddy image reads its Caddyfile there"
    assert (ROOT / "platform" / "web" / "Caddyfile").exists()


def test_the_platform_believes_forwarded_headers_from_the_proxy_alone(
    compose: dict[str, Any],
) -> None:
    platform, proxy = compose["services"]["platform"], compose["services"]["proxy"]
    trusted = platform["environment"]["TILSYN_HTTP_TRUSTED_PROXIES"]
    assert trusted == proxy["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert _default(subnet).startswith(_default(trusted).rsplit(".", 1)[0] + ".")


def test_the_proxy_forwards_to_the_port_the_platform_listens_on(compose: dict[str, Any]) -> None:
    platform = compose["services"]["platform"]
    caddyfile = (ROOT / "platform" / "web" / "Caddyfile").read_text()
    upstream = re.search(r"reverse_proxy \{\$TILSYN_PLATFORM_ADDRESS:([^}]+)\}", caddyfile)
    assert upstream is not None
    assert upstream.group(1) == f"platform:{platform['environment']['TILSYN_HTTP_PORT']}"
    assert platform["expose"] == [platform["environment"]["TILSYN_HTTP_PORT"]]


def _default(value: str) -> str:
    """The default of a `${NAME:-default}` value."""
    found = re.fullmatch(r"\$\{[A-Z_]+:-([^}]+)\}", value)
    assert found is not None, value
    return found.group(1)
