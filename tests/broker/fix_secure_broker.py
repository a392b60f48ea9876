"""A real Mosquitto running the production configuration, and a probe client for the tests.

`tilsyn.mqtt.MqttConnection` hides MQTT reason codes on purpose (callers only need "connected"
or not). The acceptance tests need them: CONNACK 0x87 for a refused login, PUBACK 0x87 for a
denied publish. `Probe` is a bare paho client that keeps them; it lives here, not in the
package, because only the tests have a use for it.
"""

from __future__ import annotations

import argparse
import queue
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode
from waiting import wait_for

from tilsyn.broker import cli
from tilsyn.broker.credentials import Hasher
from tilsyn.broker.identities import Kind
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.provisioning import provision
from tilsyn.broker.reload import reload_broker

NOT_AUTHORIZED = 0x87
# Provisioned before the broker starts; tests that change identities make their own.
STANDING_IDENTITIES = (
    ("hub-a", Kind.HUB),
    ("hub-b", Kind.HUB),
    ("chirpstack", Kind.NETWORK_SERVER),
)
TIMEOUT = 5.0


class Probe:
    """One MQTT client whose CONNACK, SUBACK and PUBACK reason codes the test can read."""

    def __init__(
        self,
        port: int,
        username: str | None = None,
        password: str | None = None,
        *,
        ca_file: Path | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
        client_id: str | None = None,
    ) -> None:
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"probe-{secrets.token_hex(4)}",
            protocol=protocol,
            reconnect_on_failure=False,  # a refused login must stay refused, not retried
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if ca_file is not None:
            self._client.tls_set(ca_certs=str(ca_file))
        self.port = port
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.disconnected = threading.Event()
        self._connack: queue.Queue[ReasonCode] = queue.Queue()
        self._acks: dict[int, list[ReasonCode]] = {}
        self._acked = threading.Condition()
        self._client.on_connect = lambda c, u, f, reason, p: self._connack.put(reason)
        self._client.on_disconnect = lambda c, u, f, reason, p: self.disconnected.set()
        self._client.on_message = lambda c, u, m: self.messages.put((m.topic, bytes(m.payload)))
        self._client.on_subscribe = lambda c, u, mid, reasons, p: self._record(mid, reasons)
        self._client.on_publish = lambda c, u, mid, reason, p: self._record(mid, [reason])

    def connect(self) -> ReasonCode:
        self._client.connect("127.0.0.1", self.port, keepalive=30)
        self._client.loop_start()
        return self._connack.get(timeout=TIMEOUT)

    def subscribe(self, topic_filter: str, qos: int = 1) -> list[ReasonCode]:
        _, mid = self._client.subscribe(topic_filter, qos)
        assert mid is not None
        return self._wait_ack(mid)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int:
        """The PUBACK reason code (always 0 under MQTT 3.1.1, which has none)."""
        info = self._client.publish(topic, payload, qos, retain=retain)
        return int(self._wait_ack(info.mid)[0].value)

    def received_before(self, marker_topic: str) -> list[tuple[str, bytes]]:
        """Messages delivered ahead of the next one on `marker_topic`.

        Mosquitto keeps one publisher's messages in order for each subscriber, so once a
        marker sent after a forged message has arrived, the forged one would have too.
        """
        earlier: list[tuple[str, bytes]] = []
        while True:
            topic, payload = self.messages.get(timeout=TIMEOUT)
            if topic == marker_topic:
                return earlier
            earlier.append((topic, payload))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _record(self, mid: int, reasons: list[ReasonCode]) -> None:
        with self._acked:
            self._acks[mid] = reasons
            self._acked.notify_all()

    def _wait_ack(self, mid: int) -> list[ReasonCode]:
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._acks, timeout=TIMEOUT):
                raise AssertionError(f"no acknowledgement for message {mid}")
            return self._acks.pop(mid)


@dataclass
class SecureBroker:
    """A broker directory made by `init_broker_dir` and a Mosquitto serving it."""

    layout: BrokerLayout
    tls_port: int
    local_port: int
    passwords: dict[str, str] = field(default_factory=dict)
    _probes: list[Probe] = field(default_factory=list)

    @property
    def ca_file(self) -> Path:
        return self.layout.tls.ca_cert

    def url(self, name: str, *, protocol: str = "5") -> str:
        return (
            f"mqtts://{name}:{self.passwords[name]}@127.0.0.1:{self.tls_port}?protocol={protocol}"
        )

    def probe(self, name: str | None = None, **options: object) -> Probe:
        """A connected probe logged in as `name` (anonymous when None)."""
        password = self.passwords[name] if name else None
        options.setdefault("ca_file", self.ca_file)
        probe = Probe(self.tls_port, name, password, **options)  # type: ignore[arg-type]
        self._probes.append(probe)
        return probe

    def logged_in(self, name: str, **options: object) -> Probe:
        probe = self.probe(name, **options)
        reason = probe.connect()
        assert not reason.is_failure, f"{name} was refused: {reason}"
        return probe

    def provision(self, kind: Kind, name: str | None = None, hasher: Hasher | None = None) -> str:
        """Provision into the running broker and wait until the reload lets it in."""
        name = name or f"{kind.value}-{secrets.token_hex(3)}"
        self.passwords[name] = provision(self.layout, name, kind, hasher=hasher).password
        assert reload_broker(self.layout.pid_file).reloaded
        self.wait_admitted(name)
        return name

    def wait_admitted(self, name: str) -> None:
        """SIGHUP is handled asynchronously: poll until the new credentials work."""
        wait_for(lambda: self._can_connect(name), timeout=TIMEOUT)

    def run_cli(self, *argv: str) -> int:
        parser = argparse.ArgumentParser(prog="tilsyn")
        cli.register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(argv)
        code: int = args.handler(args)
        return code

    def close_probes(self) -> None:
        for probe in self._probes:
            probe.close()
        self._probes.clear()

    def _can_connect(self, name: str) -> bool:
        probe = Probe(self.tls_port, name, self.passwords[name], ca_file=self.ca_file)
        try:
            return not probe.connect().is_failure
        finally:
            probe.close()
