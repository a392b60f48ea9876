"""`/config.js`: site settings for the web pages, from the server's environment."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tilsyn.platform.config import Settings
from tilsyn.platform.containers.models import FILL_SENSOR_CODECS
from tilsyn.platform.ingest.uplink_counts import WEAK_LINK_PERCENT

router = APIRouter(include_in_schema=False)
HERNING = [56.1393, 8.9738]


@router.get("/config.js")
def site_config(request: Request) -> Response:
    body = site_config_script(request.app.state.settings)
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def site_config_script(settings: Settings) -> str:
    """An empty `tileUrl` (the default) draws the bundled outlines instead of map tiles, so the
    map works without any outside tile server. The container form offers the codecs the API
    takes for a fill sensor, from the one list it checks against; the operator screen lists
    the sensors missing the share of uplinks that makes a weak link on the API's side."""
    config = {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "center": HERNING,
        "zoom": 12,
        "fillSensorCodecs": list(FILL_SENSOR_CODECS),
        "weakLinkPercent": WEAK_LINK_PERCENT,
    }
    return f"window.TILSYN_CONFIG = {json.dumps(config)};\n"
