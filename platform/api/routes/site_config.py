"""`/config.js`: site settings for the web pages, from the server's environment."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from tilsyn.platform.config import Settings

router = APIRouter(include_in_schema=False)
HERNING = [56.1393, 8.9738]


@router.get("/config.js")
def site_config() -> Response:
    settings = Settings()
    config = {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "center": HERNING,
        "zoom": 12,
    }
    body = f"window.TILSYN_CONFIG = {json.dumps(config)};\n"
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
