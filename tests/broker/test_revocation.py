"""Against a real Mosquitto: the `tilsyn device` commands change who the running broker admits."""

from __future__ import annotations

import pytest
from fix_secure_broker import NOT_AUTHORIZED, SecureBroker

from tilsyn.broker.identities import Kind
from tilsyn.mqtt import MqttConnection

pytestmark = pytest.mark.integration


def test_a_revoked_hub_is_disconnected_and_refused(broker: SecureBroker) -> None:
    name = broker.provision(Kind.HUB)
    hub = broker.logged_in(name)
    ingest = broker.logged_in("tilsyn-ingest")

    assert broker.run_cli("device", "revoke", name, "--broker-dir", str(broker.layout.root)) == 0

    assert hub.disconnected.wait(timeout=5), "the live connection outlived the revocation"
    assert broker.probe(name).connect().value == NOT_AUTHORIZED
    connection = MqttConnection(broker.url(name), name, ca_file=str(broker.ca_file))
    with pytest.raises(ConnectionError):
        connection.connect(timeout=1.0)
    assert not ingest.disconnected.is_set(), "a reload must not drop identities still valid"


def test_a_hub_provisioned_through_the_cli_connects_without_a_restart(
    broker: SecureBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(broker.layout.root)
    code = broker.run_cli("device", "provision", "hub-cli", "--kind", "hub", "--broker-dir", root)
    assert code == 0
    output = capsys.readouterr().out
    (password,) = [
        line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("password: ")
    ]
    assert "sent SIGHUP to mosquitto" in output
    broker.passwords["hub-cli"] = password
    broker.wait_admitted("hub-cli")

    hub = broker.logged_in("hub-cli")
    assert hub.publish("tilsyn/edge/hub-cli/up", b"{}") < 0x80
    assert hub.publish("tilsyn/edge/hub-a/up", b"{}") == NOT_AUTHORIZED
