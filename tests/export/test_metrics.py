"""Prometheus metrics: names, labels and values in the exposition format, and request latency."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from tilsyn.platform.export.metrics import PlatformMetrics, RequestLatencyMiddleware, render


def samples(metrics: PlatformMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, parsed back from the text format."""
    text = render(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_ingest_totals_are_counters_by_outcome_and_dead_letters_alone() -> None:
    metrics = PlatformMetrics()
    metrics.set_ingest_totals(stored=120, duplicate=3, quarantined=2, dead_letter=5)
    metrics.set_queue_depth(17)
    found = samples(metrics)
    assert found[("tilsyn_ingest_messages_total", (("outcome", "stored"),))] == 120
    assert found[("tilsyn_ingest_messages_total", (("outcome", "duplicate"),))] == 3
    assert found[("tilsyn_ingest_messages_total", (("outcome", "quarantined"),))] == 2
    assert found[("tilsyn_ingest_messages_total", (("outcome", "dead_letter"),))] == 5
    assert found[("tilsyn_dead_letters_total", ())] == 5
    assert found[("tilsyn_ingest_queue_depth", ())] == 17
    text = render(metrics.registry).decode()
    assert "# TYPE tilsyn_ingest_messages_total counter" in text


def test_alerts_by_severity_drop_to_zero_when_they_close() -> None:
    metrics = PlatformMetrics()
    metrics.set_alerts_open({"red": 2, "yellow": 5})
    metrics.set_alerts_open({"yellow": 1})
    found = samples(metrics)
    assert found[("tilsyn_alerts_open", (("severity", "red"),))] == 0
    assert found[("tilsyn_alerts_open", (("severity", "yellow"),))] == 1


def test_pool_connections_by_state() -> None:
    metrics = PlatformMetrics()
    metrics.set_pool(size=8, available=3, waiting=2)
    found = samples(metrics)
    assert found[("tilsyn_db_pool_connections", (("state", "idle"),))] == 3
    assert found[("tilsyn_db_pool_connections", (("state", "in_use"),))] == 5
    assert found[("tilsyn_db_pool_connections", (("state", "waiting"),))] == 2


def test_each_instance_has_its_own_registry() -> None:
    first, second = PlatformMetrics(), PlatformMetrics()
    first.set_queue_depth(4)
    assert samples(second)[("tilsyn_ingest_queue_depth", ())] == 0


async def container(request: Request) -> Response:
    return PlainTextResponse(request.path_params["container_id"])


async def asset(request: Request) -> Response:
    return PlainTextResponse(request.path_params["name"])


async def failing(request: Request) -> Response:
    return PlainTextResponse("no", status_code=503)


def test_the_middleware_times_requests_by_route_template(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<p>map</p>")
    metrics = PlatformMetrics()
    app = Starlette(
        routes=[
            Route("/api/containers/{container_id}", container),
            Route("/api/broken", failing),
            Mount("/api/assets", routes=[Route("/{name}", asset)]),
            Mount("/", app=StaticFiles(directory=static)),
        ]
    )
    app.add_middleware(RequestLatencyMiddleware, metrics=metrics)
    with TestClient(app) as client:
        for container_id in ("A-1", "B-2", "C-3"):
            assert client.get(f"/api/containers/{container_id}").text == container_id
        client.get("/api/broken")
        client.get("/nowhere")
        client.get("/api/assets/map.js")
        assert client.get("/index.html").text == "<p>map</p>"
    found = samples(metrics)
    name = "tilsyn_http_request_duration_seconds_count"
    route = (("method", "GET"), ("route", "/api/containers/{container_id}"), ("status", "200"))
    assert found[(name, route)] == 3
    assert found[(name, (("method", "GET"), ("route", "/api/broken"), ("status", "503")))] == 1
    assert found[(name, (("method", "GET"), ("route", "/*"), ("status", "404")))] == 1
    assert found[(name, (("method", "GET"), ("route", "/*"), ("status", "200")))] == 1
    assert (
        found[(name, (("method", "GET"), ("route", "/api/assets/{name}"), ("status", "200")))] == 1
    )
    assert not any("A-1" in str(labels) for _, labels in found)
    total = found[("tilsyn_http_request_duration_seconds_sum", route)]
    assert 0 < total < 5


def test_a_path_no_route_matches_is_one_series_not_one_per_path() -> None:
    metrics = PlatformMetrics()
    app = Starlette(routes=[Route("/api/broken", failing)])
    app.add_middleware(RequestLatencyMiddleware, metrics=metrics)
    with TestClient(app) as client:
        for path in ("/a", "/b", "/c/d"):
            assert client.get(path).status_code == 404
    name = "tilsyn_http_request_duration_seconds_count"
    found = samples(metrics)
    assert found[(name, (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 3


def test_fastapi_routers_are_labelled_with_their_full_template() -> None:
    router = APIRouter(prefix="/api/containers")

    @router.get("/{container_id}")
    def one(container_id: str) -> dict[str, str]:
        return {"id": container_id}

    app = FastAPI()
    app.include_router(router)
    metrics = PlatformMetrics()
    app.add_middleware(RequestLatencyMiddleware, metrics=metrics)
    with TestClient(app) as client:
        assert client.get("/api/containers/X-9").json() == {"id": "X-9"}
    route = (("method", "GET"), ("route", "/api/containers/{container_id}"), ("status", "200"))
    assert samples(metrics)[("tilsyn_http_request_duration_seconds_count", route)] == 1
