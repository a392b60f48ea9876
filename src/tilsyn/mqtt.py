"""MQTT for the rest of Tilsyn: the only module that imports paho.

paho calls back on its own network thread. Callers get plain `Message` values there and must hand
them on quickly (the ingest puts them on a bounded queue). With `manual_ack` the broker's QoS 1
message is acknowledged only when the caller says so, after the message is safely stored.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    mid: int
    received_at: float  # wall-clock seconds when paho handed it over


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    protocol: MQTTProtocolVersion

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """`mqtt://user:pass@host:1883?protocol=3.1.1` or `mqtts://...` (TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"unsupported MQTT URL scheme {parts.scheme!r} in {url!r}")
        tls = parts.scheme in ("mqtts", "ssl")
        version = parse_qs(parts.query).get("protocol", ["5"])[0]
        protocol = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}.get(
            version
        )
        if protocol is None:
            raise ValueError(f"unsupported MQTT protocol version {version!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=parts.username,
            password=parts.password,
            protocol=protocol,
        )


MessageHandler = Callable[[Message], None]


class MqttConnection:
    """One client connection that reconnects by itself and restores its subscriptions."""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        manual_ack: bool = False,
        persistent_session: bool = False,
        ca_file: str | None = None,
        max_inflight: int = 1000,
        max_outstanding: int = 20_000,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self._persistent = persistent_session
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self.address.protocol,
            manual_ack=manual_ack,
            clean_session=None
            if self.address.protocol == MQTTProtocolVersion.MQTTv5
            else not persistent_session,
        )
        if self.address.username:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self._client.tls_set(ca_certs=ca_file)
        self._client.max_inflight_messages_set(max_inflight)
        self._client.max_queued_messages_set(0)
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        self._connected = threading.Event()
        self._connections = 0  # successful (re)connections so far
        # Whether the broker had this client's session at the latest connection (it may
        # hold messages queued while the client was away).
        self.session_present = False
        # QoS 1 publishes not yet acknowledged by the broker. paho fails past 65,535 (its
        # message-id space), so publishers wait here instead: back-pressure.
        self._outstanding = threading.BoundedSemaphore(max_outstanding)
        self._awaiting_ack: dict[int, bool] = {}  # mid -> whether it holds a semaphore slot
        self._acked_early: set[int] = set()  # acks that beat publish() to the bookkeeping
        self._ack_lock = threading.Lock()
        # SUBSCRIBEs the broker has not acknowledged: until it does, a message published by
        # anyone else may find no subscription and be dropped.
        self._unconfirmed_subscribes: set[int] = set()
        self._subscribes_confirmed_early: set[int] = set()
        self._all_subscribed = threading.Event()
        self._all_subscribed.set()
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_publish = self._on_publish
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_socket_open = _no_delay

    @property
    def supports_shared_subscriptions(self) -> bool:
        """`$share/group/...` filters are an MQTT 5 feature."""
        return self.address.protocol == MQTTProtocolVersion.MQTTv5

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def connections(self) -> int:
        """How many times the client has (re)connected: a change means a new network session."""
        return self._connections

    def connect(self, timeout: float = 10.0) -> None:
        """Connect and start the network thread; reconnects happen in the background."""
        properties = None
        if self.address.protocol == MQTTProtocolVersion.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            # A persistent session outlives a disconnect for a day, so nothing queued is lost.
            properties.SessionExpiryInterval = 86400 if self._persistent else 0
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.connect_async(
            self.address.host,
            self.address.port,
            keepalive=30,
            clean_start=(
                not self._persistent
                if self.address.protocol == MQTTProtocolVersion.MQTTv5
                else paho.MQTT_CLEAN_START_FIRST_ONLY
            ),
            properties=properties,
        )
        self._client.loop_start()
        deadline = time.monotonic() + timeout
        if not self._connected.wait(timeout):
            self.close()
            raise ConnectionError(f"no MQTT connection to {self.address.host}:{self.address.port}")
        # Returning only once subscribed: whatever is published from here on reaches us.
        if not self.wait_subscribed(max(0.0, deadline - time.monotonic())):
            self.close()
            raise ConnectionError(
                f"the MQTT broker at {self.address.host}:{self.address.port} did not confirm"
                " the subscriptions"
            )

    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None:
        """Subscribe now if connected (`wait_subscribed` tells when the broker has confirmed),
        and again on every reconnection."""
        self._subscriptions[topic_filter] = (qos, handler)
        if self.connected:
            self._send_subscribe(self._client, [(topic_filter, qos)])

    def wait_subscribed(self, timeout: float) -> bool:
        """Whether the broker confirmed every subscription sent so far within `timeout` s."""
        return self._all_subscribed.wait(timeout)

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 0,
        *,
        retain: bool = False,
        wait: bool = False,
        timeout: float = 30.0,
    ) -> bool:
        """Queue a message; with QoS 1 this blocks while too many are unacknowledged.

        With `wait`, returns whether the broker acknowledged it (PUBACK) within `timeout` s;
        without, whether it was handed to a live connection.
        """
        if qos > 0:
            self._outstanding.acquire()
        info = self._client.publish(topic, payload, qos, retain=retain)
        self._track(info.mid, holds_slot=qos > 0)
        if info.rc != paho.MQTT_ERR_SUCCESS and info.rc != paho.MQTT_ERR_NO_CONN:
            raise ConnectionError(f"publish to {topic!r} failed: {paho.error_string(info.rc)}")
        if wait:
            info.wait_for_publish(timeout=timeout)
            return info.is_published()
        return info.rc == paho.MQTT_ERR_SUCCESS

    def ack(self, message: Message) -> None:
        if message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        # loop_start's wake-up socket pair is otherwise closed only when the client is garbage
        # collected, and this object and the client refer to each other; the next loop_start
        # makes a new pair, so `connect` may still be called again.
        self._client._reset_sockets(sockpair_only=True)
        self._connected.clear()

    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        with self._ack_lock:  # what the lost connection never confirmed is sent again here
            self._unconfirmed_subscribes.clear()
            self._subscribes_confirmed_early.clear()
        if self._subscriptions:
            filters = [(topic, qos) for topic, (qos, _) in self._subscriptions.items()]
            self._send_subscribe(client, filters)
        self.session_present = bool(flags.session_present)
        self._connections += 1
        self._connected.set()

    def _send_subscribe(self, client: paho.Client, filters: list[tuple[str, int]]) -> None:
        with self._ack_lock:
            self._all_subscribed.clear()
        result, mid = client.subscribe(filters)
        with self._ack_lock:
            if result != paho.MQTT_ERR_SUCCESS or mid is None:
                # Not connected after all: the next connection subscribes again.
                if not self._unconfirmed_subscribes:
                    self._all_subscribed.set()
            elif mid in self._subscribes_confirmed_early:
                self._subscribes_confirmed_early.discard(mid)
                if not self._unconfirmed_subscribes:
                    self._all_subscribed.set()
            else:
                self._unconfirmed_subscribes.add(mid)

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(reason) for reason in reasons if reason.is_failure]
        if refused:
            log.warning("MQTT broker refused a subscription: %s", ", ".join(refused))
        with self._ack_lock:
            if mid not in self._unconfirmed_subscribes:
                self._subscribes_confirmed_early.add(mid)
                return
            self._unconfirmed_subscribes.discard(mid)
            if not self._unconfirmed_subscribes:
                self._all_subscribed.set()

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        if reason.is_failure:
            log.warning("MQTT connection lost: %s", reason)

    def _on_publish(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._ack_lock:
            holds_slot = self._awaiting_ack.pop(mid, None)
            if holds_slot is None:
                self._acked_early.add(mid)
            elif holds_slot:
                self._outstanding.release()

    def _track(self, mid: int, *, holds_slot: bool) -> None:
        with self._ack_lock:
            if mid in self._acked_early:
                self._acked_early.discard(mid)
                if holds_slot:
                    self._outstanding.release()
            else:
                self._awaiting_ack[mid] = holds_slot

    def _on_message(self, client: paho.Client, userdata: object, raw: paho.MQTTMessage) -> None:
        message = Message(raw.topic, bytes(raw.payload), raw.qos, raw.mid, time.time())
        for topic_filter, (_, handler) in self._subscriptions.items():
            if paho.topic_matches_sub(_without_share_prefix(topic_filter), message.topic):
                try:
                    handler(message)
                except Exception:
                    # Raised in paho's network thread it would end that thread while the
                    # connection still looks up: nothing more received, sent or reconnected.
                    log.exception("handling a message on %s failed", message.topic)
                return
        log.warning("message on %s matches no subscription", message.topic)


def _no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Send small packets (PUBACKs, receipts) at once instead of waiting for Nagle's algorithm
    to fill a segment: a waiting client would stall for the peer's delayed ACK."""
    if isinstance(sock, socket.socket):  # TLS sockets too; not a websocket wrapper
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _without_share_prefix(topic_filter: str) -> str:
    """`$share/group/a/+/b` delivers messages of `a/+/b`."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
