"""The one MQTT client wrapper: a handler that fails costs its own message only."""

from __future__ import annotations

import queue

import pytest
from link import Link

from tilsyn.mqtt import BrokerAddress, Message, MqttConnection

pytestmark = pytest.mark.integration


def test_a_handler_that_raises_leaves_the_connection_receiving_and_sending(
    mosquitto_url: str,
) -> None:
    """A hub whose disk is full fails to store a configuration: the next message (a receipt)
    must still arrive and the hub must still publish."""
    received: queue.Queue[bytes] = queue.Queue()

    def handler(message: Message) -> None:
        if message.payload == b"first":
            raise OSError(28, "No space left on device")
        received.put(message.payload)

    hub = MqttConnection(mosquitto_url, "hub-handler-test")
    hub.subscribe("test/handler/#", 1, handler)
    hub.connect()
    sender = MqttConnection(mosquitto_url, "sender-handler-test")
    sender.connect()
    try:
        for body in (b"first", b"second"):
            assert sender.publish("test/handler/x", body, qos=1, wait=True)
        assert received.get(timeout=5) == b"second"
        assert hub.publish("test/handler/back", b"still here", qos=1, wait=True, timeout=5)
    finally:
        sender.close()
        hub.close()


def test_connect_returns_once_the_broker_has_the_subscriptions(mosquitto_url: str) -> None:
    """The ingest starts and a network server publishes at once: the broker must already hold
    the ingest's subscription, or it drops the message as one nobody wanted. The ingest's link
    to the broker is slow here, so its SUBSCRIBE arrives well after its CONNECT."""
    broker = BrokerAddress.parse(mosquitto_url)
    slow = Link(broker.port, delay_to_server_s=0.3)
    slow_url = slow.url.replace("http://", "mqtt://")
    received: queue.Queue[bytes] = queue.Queue()
    ingest = MqttConnection(slow_url, "ingest-subscribe-test")
    ingest.subscribe("test/subscribed/#", 1, lambda message: received.put(message.payload))
    sender = MqttConnection(mosquitto_url, "sender-subscribe-test")
    sender.connect()
    try:
        ingest.connect()
        assert sender.publish("test/subscribed/x", b"at once", qos=1, wait=True)
        assert received.get(timeout=5) == b"at once"
        ingest.subscribe("test/later/#", 1, lambda message: received.put(message.payload))
        assert ingest.wait_subscribed(timeout=5)
        assert sender.publish("test/later/y", b"later", qos=1, wait=True)
        assert received.get(timeout=5) == b"later"
    finally:
        sender.close()
        ingest.close()
        slow.close()
