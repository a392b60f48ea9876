"""`/config.js`: site settings for the web pages, from the server's environment."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tilsyn.platform.config import Settings

router = APIRouter(include_in_schema=False)
HERNING = [56.1393, 8.9738]


@router.get("/config.js")
def site_config(request: Request) -> Response:
    """An empty `tileUrl` (the default) draws the bundled outlines instead of map tiles, so the
    map works without any outside tile server."""
    settings: Settings = request.app.state.settings
    config = {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "center": HERNING,
        "zoom": 12,
    }
    body = f"window.TILSYN_CONFIG = {json.dumps(config)};\n"
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
