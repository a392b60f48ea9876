"""The real HTTP server (uvicorn) on a free port, in a thread, for tests of streams and pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from waiting import wait_for

from tilsyn.platform.config import Settings
from tilsyn.platform.runtime import ReadyServer, http_config
from tilsyn.ports import free_port


class LiveServer:
    """Served as the platform serves (`runtime.http_config`, `ReadyServer`), on 127.0.0.1."""

    def __init__(self, app: FastAPI, settings: Settings | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = http_config(app, settings or Settings(http_host="127.0.0.1"), port=self.port)
        self._server = ReadyServer(config, None)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=15)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


@pytest.fixture
def live_server() -> Iterator[type[LiveServer]]:
    yield LiveServer
