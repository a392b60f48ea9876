"""Fixtures of the broker tests: a real Mosquitto with the production configuration.

The helpers live in `fix_secure_broker.py`; this directory goes on the path so the tests can
import them (importlib mode does not put test directories there).
"""

from __future__ import annotations

import getpass
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fix_secure_broker import STANDING_IDENTITIES, SecureBroker

from tilsyn.broker.config import host_config
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.local import find_mosquitto, wait_for_port
from tilsyn.broker.provisioning import init_broker_dir, provision
from tilsyn.ports import free_port


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    executable = find_mosquitto()
    if executable is None:
        pytest.skip("mosquitto is not installed")
    layout = BrokerLayout(tmp_path_factory.mktemp("secure-broker") / "broker")
    tls_port, local_port = free_port(), free_port()
    config = host_config(
        layout, tls_port=tls_port, bind="127.0.0.1", local_port=local_port, run_as=getpass.getuser()
    )
    ingest = init_broker_dir(layout, config)
    broker = SecureBroker(layout, tls_port, local_port, {ingest.identity.name: ingest.password})
    for name, kind in STANDING_IDENTITIES:
        broker.passwords[name] = provision(layout, name, kind).password
    process = subprocess.Popen(
        [executable, "-c", str(layout.config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # it logs to mosquitto.log in the broker directory as well
    )
    try:
        wait_for_port(tls_port)
        yield broker
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def broker(secure_broker: SecureBroker) -> Iterator[SecureBroker]:
    """The shared broker, with every probe a test opened closed after it."""
    yield secure_broker
    secure_broker.close_probes()
