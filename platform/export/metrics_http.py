"""Request latency for Prometheus, measured by a small pure-ASGI middleware.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which would buffer streamed bodies such as
CSV exports. Requests are labelled with their route template (`/api/containers/{container_id}`),
never the raw path: a label per container id would make a metric series per container.
"""

from __future__ import annotations

import time
from typing import Protocol

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"


class RequestObserver(Protocol):
    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None: ...


class RequestLatencyMiddleware:
    """Times each HTTP request from arrival until the last byte of its response is handed on.

    Add with `app.add_middleware(RequestLatencyMiddleware, metrics=platform_metrics)`.
    """

    def __init__(self, app: ASGIApp, metrics: RequestObserver) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")  # routing extends it with the mounts it enters
        status = 500  # what the client gets if the app fails before starting a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_label(scope, root_path)
            self.metrics.observe_request(route, scope["method"], status, elapsed)


def route_label(scope: Scope, root_path: str = "") -> str:
    """The template of the route the router matched, with the paths of the mounts it entered.

    Routers record the route in `scope` as they route, and a mount appends its path to
    `root_path`; both are read back once the response is done.
    """
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    mounts = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):
        return f"{mounts}/*"  # static files or another app: one series for the whole mount
    return f"{mounts}{getattr(route, 'path', '')}" or UNMATCHED
