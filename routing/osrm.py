"""Road distances from an OSRM-compatible `table` service (OSRM, Valhalla's OSRM mode, ...).

One request per call: `GET {base}/table/v1/{profile}/{lon,lat;...}?sources=..&destinations=..
&annotations=distance,duration`. OSRM answers `null` for pairs it cannot route (islands, closed
roads); those are an error naming the pair, never a silent zero.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tilsyn.routing.geo import Location
from tilsyn.routing.travel import Leg


class TravelServiceError(RuntimeError):
    """The table service failed or could not route a pair."""


@dataclass(frozen=True)
class OsrmTableSource:
    base_url: str
    profile: str = "driving"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if urllib.parse.urlparse(self.base_url).scheme not in ("http", "https"):
            raise ValueError(f"OSRM base URL must be http(s): {self.base_url!r}")

    def legs(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> list[list[Leg]]:
        answer = self._get(self._url(origins, destinations))
        if answer.get("code") != "Ok":
            raise TravelServiceError(f"table service said {answer.get('code')}: {answer}")
        distances, durations = answer["distances"], answer["durations"]
        rows: list[list[Leg]] = []
        for i, origin in enumerate(origins):
            row: list[Leg] = []
            for j, destination in enumerate(destinations):
                metres, seconds = distances[i][j], durations[i][j]
                if metres is None or seconds is None:
                    raise TravelServiceError(f"no road from {origin.id} to {destination.id}")
                row.append((float(metres), float(seconds)))
            rows.append(row)
        return rows

    def _url(self, origins: Sequence[Location], destinations: Sequence[Location]) -> str:
        points = [*origins, *destinations]
        path = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        query = urllib.parse.urlencode(
            {
                "sources": ";".join(str(i) for i in range(len(origins))),
                "destinations": ";".join(str(len(origins) + j) for j in range(len(destinations))),
                "annotations": "distance,duration",
            },
            safe=";,",
        )
        return f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{path}?{query}"

    def _get(self, url: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                answer: dict[str, Any] = json.load(response)
        except (OSError, ValueError) as error:
            raise TravelServiceError(f"table service unreachable or garbled: {error}") from error
        return answer
