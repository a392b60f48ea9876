"""Where travel times come from, from the environment (prefix TILSYN_ROUTING_) or `.env`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tilsyn.routing.osrm import OsrmTableSource
from tilsyn.routing.travel import CachedTravel, HaversineSource, TravelSource


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TILSYN_ROUTING_", env_file=".env", extra="ignore")

    # Set to use road distances from an OSRM-compatible table service instead of haversine.
    osrm_url: str | None = None
    osrm_profile: str = "driving"
    road_circuity: float = Field(default=1.3, ge=1.0)
    speed_kmh: float = Field(default=40.0, gt=0)

    def travel_source(self) -> TravelSource:
        if self.osrm_url:
            return OsrmTableSource(self.osrm_url, self.osrm_profile)
        return HaversineSource(self.road_circuity, self.speed_kmh)

    def travel(self) -> CachedTravel:
        return CachedTravel(self.travel_source())
