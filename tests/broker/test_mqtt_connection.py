"""The one MQTT client wrapper: a handler that fails costs its own message only."""

from __future__ import annotations

import queue

import pytest

from tilsyn.mqtt import Message, MqttConnection

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
