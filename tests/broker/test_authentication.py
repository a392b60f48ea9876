"""Against a real Mosquitto: who may connect at all, and over what."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from fix_secure_broker import NOT_AUTHORIZED, Probe, SecureBroker
from paho.mqtt.enums import MQTTProtocolVersion

from tilsyn.broker.credentials import (
    Hasher,
    MosquittoPasswdHasher,
    Pbkdf2Hasher,
    find_mosquitto_passwd,
    read_password_file,
)
from tilsyn.broker.identities import Kind
from tilsyn.broker.tls import TlsFiles, create_ca
from tilsyn.mqtt import MqttConnection

pytestmark = pytest.mark.integration

BAD_USERNAME_OR_PASSWORD = 0x86


def test_an_anonymous_client_is_refused_on_every_listener(broker: SecureBroker) -> None:
    over_tls = broker.probe()
    assert over_tls.connect().value == NOT_AUTHORIZED
    on_localhost = Probe(broker.local_port, ca_file=None)
    try:
        assert on_localhost.connect().value == NOT_AUTHORIZED
    finally:
        on_localhost.close()


def test_an_anonymous_311_client_is_refused(broker: SecureBroker) -> None:
    probe = broker.probe(protocol=MQTTProtocolVersion.MQTTv311)
    # The broker answers return code 5; paho reports it as the MQTT 5 reason "Not authorized".
    assert probe.connect().value == NOT_AUTHORIZED


def test_mqtt_connection_reports_an_anonymous_refusal(broker: SecureBroker) -> None:
    url = f"mqtts://127.0.0.1:{broker.tls_port}"
    connection = MqttConnection(url, "anonymous", ca_file=str(broker.ca_file))
    with pytest.raises(ConnectionError):
        connection.connect(timeout=1.0)


def test_a_wrong_password_is_refused(broker: SecureBroker) -> None:
    probe = Probe(broker.tls_port, "hub-a", "not-the-password", ca_file=broker.ca_file)
    try:
        assert probe.connect().value in (BAD_USERNAME_OR_PASSWORD, NOT_AUTHORIZED)
    finally:
        probe.close()


def test_tls_works_with_the_generated_ca(broker: SecureBroker) -> None:
    connection = MqttConnection(broker.url("hub-a"), "hub-a", ca_file=str(broker.ca_file))
    connection.connect(timeout=5)
    try:
        assert connection.connected
    finally:
        connection.close()


def _handshake(port: int, ca_file: Path, server_name: str) -> str:
    """A bare TLS handshake as a device does it: trust only `ca_file`, check the name."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return str(tls.version())


def test_the_certificate_verifies_for_its_names(broker: SecureBroker) -> None:
    for name in ("127.0.0.1", "localhost"):
        assert _handshake(broker.tls_port, broker.ca_file, name) in ("TLSv1.2", "TLSv1.3")


def test_a_client_trusting_another_ca_refuses_the_broker(
    broker: SecureBroker, tmp_path: Path
) -> None:
    other = TlsFiles.in_dir(tmp_path)
    create_ca(other, common_name="Someone else's CA")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        _handshake(broker.tls_port, other.ca_cert, "127.0.0.1")


def test_a_name_missing_from_the_certificate_is_refused(broker: SecureBroker) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _handshake(broker.tls_port, broker.ca_file, "broker.example.org")


def test_the_local_listener_asks_for_the_same_credentials(broker: SecureBroker) -> None:
    probe = Probe(broker.local_port, "hub-a", broker.passwords["hub-a"])
    try:
        assert not probe.connect().is_failure
    finally:
        probe.close()


def _hashers() -> list[object]:
    """Each writer with the iteration count its entries carry, which tells them apart."""
    executable = find_mosquitto_passwd()
    tool = MosquittoPasswdHasher(executable or "mosquitto_passwd")
    missing = pytest.mark.skipif(executable is None, reason="mosquitto_passwd is not installed")
    return [
        pytest.param(Pbkdf2Hasher(iterations=1000), "$7$1000$", id="python-pbkdf2"),
        pytest.param(tool, "$7$101$", id="mosquitto_passwd", marks=missing),
    ]


@pytest.mark.parametrize(("hasher", "prefix"), _hashers())
def test_the_broker_accepts_passwords_from_either_writer(
    broker: SecureBroker, hasher: Hasher, prefix: str
) -> None:
    name = broker.provision(Kind.HUB, hasher=hasher)
    assert read_password_file(broker.layout.password_file)[name].startswith(prefix)
    hub = broker.logged_in(name)
    # 0x10 "no matching subscribers" is a success too; failures are 0x80 and above.
    assert hub.publish(f"tilsyn/edge/{name}/up", b"{}") < 0x80
