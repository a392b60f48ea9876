"""Against a real Mosquitto: each identity publishes and reads only what the ACL grants.

A forged publish is answered with PUBACK 0x87 under MQTT 5 and silently dropped under 3.1.1;
either way the privileged subscriber must never see it. Mosquitto's acl_file acknowledges every
SUBSCRIBE and filters at delivery, so "cannot read B's data" is shown by what arrives.
"""

from __future__ import annotations

import queue

import pytest
from fix_secure_broker import NOT_AUTHORIZED, SecureBroker
from paho.mqtt.enums import MQTTProtocolVersion

from tilsyn.broker.identities import Kind
from tilsyn.mqtt import Message, MqttConnection

pytestmark = pytest.mark.integration

SUCCESS = 0


@pytest.mark.parametrize(
    "protocol",
    [MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311],
    ids=["mqtt5", "mqtt311"],
)
def test_a_hub_cannot_publish_on_another_hubs_topics(
    broker: SecureBroker, protocol: MQTTProtocolVersion
) -> None:
    ingest = broker.logged_in("tilsyn-ingest")
    ingest.subscribe("tilsyn/edge/+/up")
    ingest.subscribe("tilsyn/edge/+/health")
    hub_a = broker.logged_in("hub-a", protocol=protocol)

    forged_up = hub_a.publish("tilsyn/edge/hub-b/up", b'{"forged": true}')
    forged_health = hub_a.publish("tilsyn/edge/hub-b/health", b"forged")
    assert hub_a.publish("tilsyn/edge/hub-a/up", b"own") == SUCCESS

    expected = NOT_AUTHORIZED if protocol == MQTTProtocolVersion.MQTTv5 else SUCCESS
    assert (forged_up, forged_health) == (expected, expected)
    assert ingest.received_before("tilsyn/edge/hub-a/up") == []


def test_a_hub_reads_only_its_own_config_and_commands(broker: SecureBroker) -> None:
    hub_b_name = broker.provision(Kind.HUB)  # fresh, so its retained config is this test's
    ingest = broker.logged_in("tilsyn-ingest")
    snooper = broker.logged_in("hub-a")
    for topic_filter in (f"tilsyn/edge/{hub_b_name}/config", "tilsyn/edge/+/command/#", "#"):
        snooper.subscribe(topic_filter)
    hub_b = broker.logged_in(hub_b_name)
    hub_b.subscribe(f"tilsyn/edge/{hub_b_name}/config")
    hub_b.subscribe(f"tilsyn/edge/{hub_b_name}/command/#")

    assert ingest.publish(f"tilsyn/edge/{hub_b_name}/config", b"cfg", retain=True) == SUCCESS
    assert ingest.publish(f"tilsyn/edge/{hub_b_name}/command/reboot", b"now") == SUCCESS
    assert ingest.publish("tilsyn/edge/hub-a/command/marker", b"") == SUCCESS

    assert snooper.received_before("tilsyn/edge/hub-a/command/marker") == []
    assert hub_b.messages.get(timeout=5) == (f"tilsyn/edge/{hub_b_name}/config", b"cfg")
    assert hub_b.messages.get(timeout=5) == (f"tilsyn/edge/{hub_b_name}/command/reboot", b"now")


def test_a_retained_config_is_not_replayed_to_another_hub(broker: SecureBroker) -> None:
    hub_b_name = broker.provision(Kind.HUB)
    ingest = broker.logged_in("tilsyn-ingest")
    ingest.publish(f"tilsyn/edge/{hub_b_name}/config", b"secret-config", retain=True)
    snooper = broker.logged_in("hub-a")
    snooper.subscribe(f"tilsyn/edge/{hub_b_name}/config")
    snooper.subscribe("tilsyn/edge/hub-a/config")
    ingest.publish("tilsyn/edge/hub-a/config", b"marker")
    assert snooper.received_before("tilsyn/edge/hub-a/config") == []


def test_a_hub_reads_only_its_own_receipts_and_cannot_forge_any(broker: SecureBroker) -> None:
    ingest = broker.logged_in("tilsyn-ingest")
    hub_a = broker.logged_in("hub-a")
    hub_a.subscribe("tilsyn/edge/hub-a/receipt")
    hub_a.subscribe("tilsyn/edge/hub-b/receipt")
    hub_b = broker.logged_in("hub-b")
    hub_b.subscribe("tilsyn/edge/hub-b/receipt")

    # A forged receipt would make hub-b forget messages the platform never stored.
    assert hub_a.publish("tilsyn/edge/hub-b/receipt", b"forged") == NOT_AUTHORIZED
    assert hub_a.publish("tilsyn/edge/hub-a/receipt", b"self-made") == NOT_AUTHORIZED
    assert ingest.publish("tilsyn/edge/hub-b/receipt", b"for b") == SUCCESS
    assert ingest.publish("tilsyn/edge/hub-a/receipt", b"for a") == SUCCESS

    assert hub_a.messages.get(timeout=5) == ("tilsyn/edge/hub-a/receipt", b"for a")
    assert hub_a.messages.empty(), "hub-a got a receipt not its own"
    assert hub_b.messages.get(timeout=5) == ("tilsyn/edge/hub-b/receipt", b"for b")
    assert hub_b.messages.empty()


def test_a_hub_cannot_command_itself_or_speak_lorawan(broker: SecureBroker) -> None:
    hub_a = broker.logged_in("hub-a")
    assert hub_a.publish("tilsyn/edge/hub-a/command/unlock", b"") == NOT_AUTHORIZED
    assert hub_a.publish("tilsyn/edge/hub-a/config", b"") == NOT_AUTHORIZED
    assert hub_a.publish("application/1/device/0102030405060708/event/up", b"") == NOT_AUTHORIZED


def test_the_network_server_publishes_events_and_reads_downlinks(broker: SecureBroker) -> None:
    ingest = broker.logged_in("tilsyn-ingest")
    ingest.subscribe("$share/tilsyn/application/+/device/+/event/up")
    chirpstack = broker.logged_in("chirpstack")
    chirpstack.subscribe("application/+/device/+/command/down")
    up = "application/7/device/0102030405060708/event/up"

    # Hub topics bearing its own username are denied to it although the hub patterns match.
    assert chirpstack.publish("tilsyn/edge/chirpstack/up", b"") == NOT_AUTHORIZED
    assert chirpstack.publish("tilsyn/edge/hub-a/up", b"") == NOT_AUTHORIZED
    down = "application/7/device/0102030405060708/command/down"
    assert chirpstack.publish(down, b"") == NOT_AUTHORIZED
    assert chirpstack.publish(up, b'{"fPort": 1}') == SUCCESS
    assert ingest.received_before(up) == []

    assert ingest.publish(down, b'{"data": "AQ=="}') == SUCCESS
    assert chirpstack.messages.get(timeout=5) == (down, b'{"data": "AQ=="}')


def test_ingest_workers_share_uplinks_through_a_shared_subscription(broker: SecureBroker) -> None:
    """Two workers, one identity, one `$share/tilsyn` group: each uplink is stored once."""
    received: queue.Queue[Message] = queue.Queue()
    workers = [
        MqttConnection(broker.url("tilsyn-ingest"), f"ingest-{n}", ca_file=str(broker.ca_file))
        for n in range(2)
    ]
    try:
        for worker in workers:
            worker.connect(timeout=5)
            worker.subscribe("$share/tilsyn/tilsyn/edge/+/up", 1, received.put)
        hub = MqttConnection(broker.url("hub-a"), "hub-a", ca_file=str(broker.ca_file))
        hub.connect(timeout=5)
        for n in range(20):
            hub.publish("tilsyn/edge/hub-a/up", str(n).encode(), qos=1, wait=True)
        hub.close()
        payloads = sorted(int(received.get(timeout=5).payload) for _ in range(20))
    finally:
        for worker in workers:
            worker.close()
    assert payloads == list(range(20))
    assert received.empty()
