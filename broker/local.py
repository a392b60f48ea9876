"""A local MQTT broker for the demo and the tests: Mosquitto when installed, else amqtt.

Mosquitto is what production runs; amqtt (pure Python, MQTT 3.1.1 only) keeps a fresh clone
working on a machine with nothing but Python.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from tilsyn.ports import free_port

log = logging.getLogger(__name__)

BrokerKind = Literal["mosquitto", "amqtt"]


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


class LocalBroker(Protocol):
    kind: BrokerKind
    port: int

    @property
    def url(self) -> str: ...

    def start(self) -> str: ...

    def stop(self) -> None: ...


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not open port {port} within {timeout} s")


class _BrokerContext:
    def __enter__(self: Any) -> Any:
        self.start()
        return self

    def __exit__(
        self: Any,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class MosquittoBroker(_BrokerContext):
    """A Mosquitto process with a generated configuration, on a port of its own."""

    kind: BrokerKind = "mosquitto"

    def __init__(self, work_dir: Path, *, port: int | None = None, persistent: bool = False):
        self.work_dir = work_dir
        self.port = port or free_port()
        self.persistent = persistent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"user {getpass.getuser()}",
            "max_queued_messages 100000",
            "max_inflight_messages 1000",
            "set_tcp_nodelay true",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if self.persistent:
            lines += ["persistence true", f"persistence_location {self.work_dir}/"]
        return "\n".join(lines) + "\n"

    def start(self) -> str:
        executable = find_mosquitto()
        if executable is None:
            raise RuntimeError("mosquitto is not installed")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "mosquitto.conf"
        config.write_text(self.config_text())
        with (self.work_dir / "mosquitto.log").open("ab") as log_file:
            self._process = subprocess.Popen(
                [executable, "-c", str(config)], stdout=log_file, stderr=log_file
            )
        wait_for_port(self.port)
        return self.url

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def kill(self) -> None:
        """Die without a clean shutdown, as in a power cut."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


class AmqttBroker(_BrokerContext):
    """amqtt running on an event loop in a thread of this process."""

    kind: BrokerKind = "amqtt"

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        # amqtt speaks MQTT 3.1.1 only; clients read the protocol from the URL.
        return f"mqtt://127.0.0.1:{self.port}?protocol=3.1.1"

    def start(self) -> str:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="amqtt-broker", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout=15):
            raise RuntimeError("amqtt broker did not start")
        # No probe connection here: amqtt logs a bare TCP probe as an error and leaks its socket.
        return self.url

    def _serve(self, ready: threading.Event) -> None:
        from amqtt.broker import Broker

        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }

        async def begin() -> None:
            self._broker = Broker(config)
            await self._broker.start()
            ready.set()

        self._loop.run_until_complete(begin())
        self._loop.run_forever()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:  # a broker that fails to shut down cleanly is still stopped below
            log.exception("amqtt shutdown failed")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None
        self._thread = None


def start_local_broker(work_dir: Path, *, persistent: bool = True) -> LocalBroker:
    """Mosquitto when it is installed, otherwise the in-process amqtt broker."""
    broker: LocalBroker
    if find_mosquitto() is not None:
        broker = MosquittoBroker(work_dir, persistent=persistent)
    else:
        broker = AmqttBroker()
    broker.start()
    log.info("started %s broker at %s", broker.kind, broker.url)
    return broker
