"""The map's tile server is set on the server (TILSYN_MAP_TILE_URL), not by editing a file."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.models import FILL_SENSOR_CODECS
from tilsyn.platform.ingest.uplink_counts import WEAK_LINK_PERCENT

pytestmark = pytest.mark.integration


def _config(client: TestClient) -> dict[str, object]:
    answer = client.get("/config.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    prefix = "window.TILSYN_CONFIG = "
    assert answer.text.startswith(prefix)
    loaded: dict[str, object] = json.loads(answer.text.removeprefix(prefix).rstrip(";\n"))
    return loaded


def test_the_map_uses_the_tile_server_the_site_configured(database_url: str) -> None:
    settings = Settings(
        map_tile_url="https://tiles.example.dk/{z}/{x}/{y}.png",
        map_tile_attribution="© Styrelsen for Dataforsyning",
    )
    with TestClient(create_app(database_url, settings=settings)) as client:
        config = _config(client)
    assert config["tileUrl"] == "https://tiles.example.dk/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "© Styrelsen for Dataforsyning"


def test_without_a_tile_server_the_map_draws_its_bundled_outlines(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        config = _config(client)
    assert config["tileUrl"] == ""
    assert config["center"] == [56.1393, 8.9738]


def test_the_container_form_offers_the_codecs_the_api_takes(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        config = _config(client)
    assert config["fillSensorCodecs"] == list(FILL_SENSOR_CODECS)


def test_the_operator_screen_lists_weak_links_from_the_apis_share(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        config = _config(client)
    assert config["weakLinkPercent"] == WEAK_LINK_PERCENT == 5.0
