"""Drill: a home hub cut off from the network. The hub runs in a network namespace of its own,
joined to the host by a veth pair; the cut takes the host's end of the link down, so the TCP
connection goes silent (no reset), as when a home router loses its uplink. The hub keeps
measuring; once the link is back, everything it measured is stored, once."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from drill_figures import DrillReport
from drill_uplinks import start_ingest, time_until
from edge_hubs import (
    expected,
    queue_depth,
    register_hubs,
    rows_of,
    start_agent,
    stop_agent,
    stored,
)

from tilsyn.broker.local import MosquittoBroker
from tilsyn.ports import free_port

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow, pytest.mark.long_drill]
HUB = "vaaler-hub-012"
CUT_S = 90.0  # longer than the clients' keepalive (30 s) and Mosquitto's (1.5 x that)
SPEED = ("--speed", "36000")  # ten hours a second: the cut lasts weeks of readings


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class HomeNetwork:
    """A namespace for the hub and a veth pair to the host, on a /30 of their own."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.name, self.host_end, self.hub_end = f"tilsyn-{tag}", f"th{tag}", f"tn{tag}"
        subnet = random.Random(tag).randrange(1, 250)
        self.host_ip, self.hub_ip = f"10.213.{subnet}.1", f"10.213.{subnet}.2"

    def create(self) -> None:
        _ip("netns", "add", self.name)
        _ip("link", "add", self.host_end, "type", "veth", "peer", "name", self.hub_end)
        _ip("link", "set", self.hub_end, "netns", self.name)
        _ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_end)
        _ip("link", "set", self.host_end, "up")
        inside = ("netns", "exec", self.name, "ip")
        _ip(*inside, "addr", "add", f"{self.hub_ip}/30", "dev", self.hub_end)
        _ip(*inside, "link", "set", self.hub_end, "up")
        _ip(*inside, "link", "set", "lo", "up")

    def cut(self) -> None:
        _ip("link", "set", self.host_end, "down")

    def mend(self) -> None:
        _ip("link", "set", self.host_end, "up")

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_end], check=False, capture_output=True)

    @property
    def prefix(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.name)


class HomeFacingMosquitto(MosquittoBroker):
    """Mosquitto on 127.0.0.1 (the platform) and on the host's end of the home link (the hub)."""

    def __init__(self, work_dir: Path, network: HomeNetwork) -> None:
        super().__init__(work_dir)
        self.home_port, self.network = free_port(), network

    def config_text(self) -> str:
        return super().config_text() + f"listener {self.home_port} {self.network.host_ip}\n"

    @property
    def home_url(self) -> str:
        return f"mqtt://{self.network.host_ip}:{self.home_port}"


@pytest.fixture
def network() -> Iterator[HomeNetwork]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2")
    made = HomeNetwork()
    try:
        made.create()
    except subprocess.CalledProcessError as error:
        made.delete()
        pytest.skip(f"cannot make a network namespace here: {error.stderr.decode().strip()}")
    yield made
    made.delete()


@pytest.fixture
def registered(database_url: str) -> str:
    register_hubs(database_url, (HUB,))
    return database_url


def test_hub_cut_off(
    registered: str, network: HomeNetwork, tmp_path: Path, drill_report: DrillReport
) -> None:
    data_dir = tmp_path / HUB
    broker = HomeFacingMosquitto(tmp_path / "broker", network)
    broker.start()
    ingest = start_ingest(registered, broker.url)
    agent = start_agent(HUB, broker.home_url, tmp_path, *SPEED, prefix=network.prefix)
    try:
        time_until(lambda: len(stored(registered, HUB)) >= 3, timeout=60)
        network.cut()
        time.sleep(CUT_S)
        queued_in_cut = queue_depth(data_dir) or 0
        network.mend()
        measured_before = set(expected(HUB, data_dir))
        recovery_s = time_until(
            lambda: measured_before <= stored(registered, HUB).keys(), timeout=180
        )
        stop_agent(agent)
        time_until(lambda: _settled(registered, data_dir), timeout=60)
    finally:
        stop_agent(agent)
        ingest.stop()
        broker.stop()
    measured = expected(HUB, data_dir)
    kept = stored(registered, HUB)
    lost = measured.keys() - kept.keys()
    twice = [rid for rid in kept.keys() & measured.keys() if kept[rid] != rows_of(measured[rid][0])]
    drill_report(
        sent=len(measured),
        stored=len(kept),
        lost=len(lost),
        recovery_s=recovery_s,
        note=f"link down {CUT_S:.0f} s (network namespace), {queued_in_cut} messages queued",
    )
    assert queued_in_cut > 0, "the hub sent nothing while cut off?"
    assert (sorted(lost), twice) == ([], [])
    assert kept.keys() <= measured.keys()


def _settled(database_url: str, data_dir: Path) -> bool:
    """Nothing left in the hub's queue, and all it measured stored."""
    return queue_depth(data_dir) == 0 and set(expected(HUB, data_dir)) <= set(
        stored(database_url, HUB)
    )
