"""Distances from coordinates, the OSRM table client against a local server, and the cache."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tilsyn.routing.geo import Location, haversine_m
from tilsyn.routing.osrm import OsrmTableSource, TravelServiceError
from tilsyn.routing.settings import RoutingSettings
from tilsyn.routing.travel import CachedTravel, HaversineSource

OSLO = Location("oslo", 59.9139, 10.7522)
TRONDHEIM = Location("trondheim", 63.4305, 10.3951)
BERGEN = Location("bergen", 60.3913, 5.3221)


def test_haversine_matches_a_known_distance():
    # Oslo-Trondheim great-circle distance is about 392 km.
    assert haversine_m(OSLO.coordinates, TRONDHEIM.coordinates) == pytest.approx(392_000, rel=0.01)


def test_circuity_and_speed_scale_the_legs():
    [[leg]] = HaversineSource(circuity=1.5, speed_kmh=36).legs([OSLO], [TRONDHEIM])
    crow = haversine_m(OSLO.coordinates, TRONDHEIM.coordinates)
    assert leg[0] == pytest.approx(1.5 * crow)
    assert leg[1] == pytest.approx(1.5 * crow / 10)  # 36 km/h is 10 m/s


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        HaversineSource(circuity=0.9)
    with pytest.raises(ValueError):
        Location("nowhere", 91.0, 0.0)


class CountingSource:
    def __init__(self):
        self.inner, self.pairs = HaversineSource(), 0

    def legs(self, origins, destinations):
        self.pairs += len(origins) * len(destinations)
        return self.inner.legs(origins, destinations)


def test_cache_asks_only_for_new_locations():
    source = CountingSource()
    travel = CachedTravel(source)
    first = travel.matrix([OSLO, TRONDHEIM])
    assert source.pairs == 4
    second = travel.matrix([OSLO, TRONDHEIM, BERGEN])
    assert source.pairs == 4 + 3 + 2  # Bergen to all three, the old two to Bergen
    assert second.seconds[0][1] == first.seconds[0][1]
    assert second.metres_between("bergen", "oslo") > 300_000
    travel.matrix([BERGEN, OSLO])
    assert source.pairs == 9


def manhattan_m(a, b):
    """The fake service's road length: 1000 m per degree of latitude plus longitude."""
    return round(1000 * (abs(a[0] - b[0]) + abs(a[1] - b[1])))


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers /table like OSRM (lon,lat points; sources and destinations by index), with
    `manhattan_m` metres at 10 m/s, and null for any pair touching longitude 0 (an island)."""

    def do_GET(self):
        url = urlsplit(self.path)  # not urlparse: it cuts ";params" off the path
        points = url.path.rsplit("/", 1)[1].split(";")
        query = parse_qs(url.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        targets = [int(i) for i in query["destinations"][0].split(";")]

        lonlat = [tuple(float(v) for v in p.split(",")) for p in points]

        def value(i, j, per_metre):
            island = lonlat[i][0] == 0 or lonlat[j][0] == 0
            return None if island else manhattan_m(lonlat[i], lonlat[j]) * per_metre

        body = {
            "code": "Ok",
            "distances": [[value(i, j, 1) for j in targets] for i in sources],
            "durations": [[value(i, j, 0.1) for j in targets] for i in sources],
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm_url():
    server = HTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_request_and_answer(osrm_url):
    legs = OsrmTableSource(osrm_url).legs([OSLO, BERGEN], [TRONDHEIM, BERGEN])
    to_trondheim = manhattan_m(OSLO.coordinates, TRONDHEIM.coordinates)
    assert legs[0][0] == pytest.approx((to_trondheim, to_trondheim / 10))
    assert legs[1][1] == (0.0, 0.0)


def test_osrm_unroutable_pair_names_it(osrm_url):
    island = Location("island", 60.0, 0.0)
    with pytest.raises(TravelServiceError, match="no road from oslo to island"):
        OsrmTableSource(osrm_url).legs([OSLO], [island])


def test_osrm_down_is_an_error_not_a_hang():
    with pytest.raises(TravelServiceError):
        OsrmTableSource("http://127.0.0.1:9", timeout_s=2).legs([OSLO], [BERGEN])


def test_settings_choose_the_source(monkeypatch, osrm_url):
    monkeypatch.delenv("TILSYN_ROUTING_OSRM_URL", raising=False)
    assert isinstance(RoutingSettings().travel_source(), HaversineSource)
    monkeypatch.setenv("TILSYN_ROUTING_OSRM_URL", osrm_url)
    monkeypatch.setenv("TILSYN_ROUTING_ROAD_CIRCUITY", "1.4")
    settings = RoutingSettings()
    assert isinstance(settings.travel_source(), OsrmTableSource)
    metres = settings.travel().matrix([OSLO, BERGEN]).metres_between("oslo", "bergen")
    assert metres == manhattan_m(OSLO.coordinates, BERGEN.coordinates)  # road, not circuity


def test_locations_first_seen_in_different_calls_get_their_leg():
    source = CountingSource()
    travel = CachedTravel(source)
    travel.matrix([OSLO, TRONDHEIM])
    travel.matrix([OSLO, BERGEN])
    both = travel.matrix([TRONDHEIM, BERGEN])
    assert both.metres_between("trondheim", "bergen") > 400_000
    assert source.pairs == 4 + 3 + 3  # the last call: Trondheim to both, Bergen to Trondheim
