"""The rendered mosquitto.conf, and the committed one the compose deployment mounts."""

from __future__ import annotations

import getpass
import re
import subprocess
from pathlib import Path

import pytest
from waiting import wait_for

from tilsyn.broker.config import compose_config, host_config, render_config
from tilsyn.broker.credentials import Pbkdf2Hasher
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.local import find_mosquitto
from tilsyn.broker.provisioning import init_broker_dir
from tilsyn.ports import free_port

COMMITTED = Path(__file__).parents[2] / "broker" / "mosquitto.conf"


def _sections(text: str) -> list[list[str]]:
    """Global options, then one list per `listener` (options bind to the listener above)."""
    sections: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("listener "):
            sections.append([])
        if line and not line.startswith("#"):
            sections[-1].append(line)
    return sections


def test_the_committed_compose_config_is_what_the_renderer_makes() -> None:
    assert COMMITTED.read_text() == render_config(compose_config())


def test_the_committed_config_points_only_into_the_mounted_volumes() -> None:
    text = COMMITTED.read_text()
    paths = re.findall(r"\s(/\S*)", text)
    assert paths, "expected file paths in the config"
    assert all(path.startswith(("/mosquitto/config/", "/mosquitto/data/")) for path in paths)
    assert not re.search(r"^(user|pid_file) ", text, re.MULTILINE), "the image decides these"


def test_security_applies_to_every_listener() -> None:
    general, tls_listener = _sections(render_config(compose_config()))
    for option in ("per_listener_settings false", "allow_anonymous false"):
        assert option in general
    assert any(line.startswith("password_file ") for line in general)
    assert any(line.startswith("acl_file ") for line in general)
    assert tls_listener[0] == "listener 8883"


def test_the_host_config_has_tls_and_a_localhost_only_plain_listener(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path)
    config = host_config(layout, tls_port=18883, local_port=11883, run_as="mosquitto")
    general, tls_listener, local_listener = _sections(render_config(config))
    assert f"cafile {layout.tls.ca_cert}" in tls_listener
    assert f"certfile {layout.tls.server_cert}" in tls_listener
    assert f"keyfile {layout.tls.server_key}" in tls_listener
    assert "require_certificate false" in tls_listener
    assert local_listener == ["listener 11883 127.0.0.1", "protocol mqtt"]
    assert f"pid_file {layout.pid_file}" in general
    assert f"persistence_location {layout.data_dir}/" in general
    assert "persistence true" in general
    assert "user mosquitto" in general


def test_the_plain_listener_can_be_left_out(tmp_path: Path) -> None:
    config = host_config(BrokerLayout(tmp_path), local_port=None, bind="10.0.0.2")
    sections = _sections(render_config(config))
    assert [section[0] for section in sections[1:]] == ["listener 8883 10.0.0.2"]


@pytest.mark.integration
def test_mosquitto_starts_with_the_committed_config(tmp_path: Path) -> None:
    """The compose config, with its two volumes and port moved into a scratch directory."""
    executable = find_mosquitto()
    if executable is None:
        pytest.skip("mosquitto is not installed")
    layout = BrokerLayout(tmp_path / "config")
    init_broker_dir(layout, compose_config(), hasher=Pbkdf2Hasher())
    port = free_port()
    text = COMMITTED.read_text()
    text = text.replace("/mosquitto/config", str(layout.root))
    text = text.replace("/mosquitto/data", str(layout.data_dir))
    text = text.replace("listener 8883", f"listener {port} 127.0.0.1")
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"user {getpass.getuser()}\n{text}")
    stderr = tmp_path / "stderr"
    with stderr.open("wb") as log:
        process = subprocess.Popen([executable, "-c", str(config)], stderr=log)
    try:
        # Its own log says when it is up: a probe connecting to the TLS port and leaving
        # without a handshake would itself be logged as an error.
        wait_for(lambda: " running" in stderr.read_text() or process.poll() is not None)
        assert process.poll() is None, stderr.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Error" not in stderr.read_text()
