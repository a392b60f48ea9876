"""The catch-up session of an ingest share group.

Mosquitto 2.0 restores a persistent session's ordinary subscriptions after a crash, but not
its shared ones: uplinks that network servers publish to the restarted broker before the
workers have subscribed again reach nobody, and a network server does not send them again
(hubs do, until the platform's receipt). So the group also holds one more persistent session,
`<group>-catch-up`, with ordinary subscriptions to the same topics, held by one worker at a
time (`CatchUpHolder`: whoever holds the group's advisory lock; another takes over within a
second or two when it stops). The broker queues for that session whatever arrives while it is
away. After each reconnection that finds the session kept (a broker restored from its store,
or a new holder taking over) the holder stores what it receives for `WINDOW_S` seconds, until
the share group has surely subscribed again; the copies the group also received are the same
messages, and the idempotency keys keep the second copy out (counted as duplicates). Outside
that window, and after a connection to a session new to the broker (nothing can have been
missed), its messages are acknowledged and dropped: the group stores them.

One session per group, not one per worker: each receives the whole stream, which on a 2-core
machine took a third off two workers' throughput when every worker had its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.background import Periodic

log = logging.getLogger(__name__)

# The workers reconnect within 10 s (MqttConnection's longest back-off) and subscribe at once;
# three times that covers a broker that comes back slowly.
WINDOW_S = 30.0
# How soon another worker takes the session over when its holder stops.
CHECK_S = 1.0
# The first key of the group's advisory lock (the second is the group name's hash): any
# constant no other advisory lock of this database uses.
CATCH_UP_LOCK = 0x7463_7570  # "tcup"
APPLICATION_NAME = "tilsyn ingest catch-up"  # its lock's connection in pg_stat_activity

Store = Callable[[Message, MqttConnection], None]


class CatchUpSession:
    def __init__(
        self,
        mqtt_url: str,
        client_id: str,
        topics: tuple[str, ...],
        store: Store,
        ca_file: str | None = None,
        window_s: float = WINDOW_S,
    ) -> None:
        self._store = store
        self._window_s = window_s
        self._lock = threading.Lock()
        self._connections_seen = 0
        self._storing_until = 0.0
        self.stored = 0  # messages handed to ingest, duplicates included
        self.dropped = 0  # messages the share group stores
        self.client_id = client_id
        self.mqtt = MqttConnection(
            mqtt_url,
            self.client_id,
            manual_ack=True,
            persistent_session=True,
            ca_file=ca_file,
        )
        for topic in topics:
            self.mqtt.subscribe(topic, 1, self._received)

    def start(self) -> None:
        self.mqtt.connect()

    def close(self) -> None:
        self.mqtt.close()

    @property
    def storing(self) -> bool:
        """Within the window after a (re)connection."""
        with self._lock:
            return time.monotonic() < self._storing_until

    def _received(self, message: Message) -> None:
        with self._lock:
            # paho calls on_connect before it hands over what the broker queued.
            if self.mqtt.connections != self._connections_seen:
                self._connections_seen = self.mqtt.connections
                kept = self.mqtt.session_present
                self._storing_until = time.monotonic() + self._window_s if kept else 0.0
                if kept:
                    log.warning(
                        "catch-up session %s kept by the broker: storing what it sends for %.0f s",
                        self.client_id,
                        self._window_s,
                    )
            storing = time.monotonic() < self._storing_until
            if storing:
                self.stored += 1
            else:
                self.dropped += 1
        if storing:
            self._store(message, self.mqtt)
        else:
            self.mqtt.ack(message)


class CatchUpHolder:
    """Holds the group's catch-up session while this worker holds the group's advisory lock;
    `check` (every second) takes the lock when it is free and lets it go with the session
    when its connection is lost, so that exactly one worker's session is connected."""

    def __init__(
        self,
        database_url: str,
        mqtt_url: str,
        group: str,
        topics: tuple[str, ...],
        store: Store,
        ca_file: str | None = None,
        window_s: float = WINDOW_S,
    ) -> None:
        self._database_url = database_url
        self._group = group
        self._session_args = (mqtt_url, f"{group}-catch-up", topics, store, ca_file, window_s)
        self._conn: psycopg.Connection | None = None
        self._session: CatchUpSession | None = None
        self._stored_before = 0  # by sessions this worker held earlier
        self._checking = Periodic("ingest-catch-up", self.check, CHECK_S, at_once=True)

    @property
    def holding(self) -> bool:
        return self._session is not None

    @property
    def stored(self) -> int:
        """Messages this worker's catch-up sessions handed to ingest, duplicates included."""
        return self._stored_before + (self._session.stored if self._session else 0)

    def start(self) -> None:
        self._checking.start()

    def check(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")  # the lock lives as long as this session
            except psycopg.Error:
                log.warning("catch-up lock of group %s lost with its connection", self._group)
                self._let_go()
        if self._conn is None:
            self._conn = psycopg.connect(
                self._database_url,
                autocommit=True,
                connect_timeout=5,
                application_name=APPLICATION_NAME,
            )
            got = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (CATCH_UP_LOCK, self._group)
            ).fetchone()
            if got is None or not got[0]:
                self._conn.close()  # held by another worker: asked again next round
                self._conn = None
                return
        if self._session is None:
            session = CatchUpSession(*self._session_args)
            try:
                session.start()
            except ConnectionError as error:  # the lock is kept; the broker tried next round
                log.warning("catch-up session of group %s not connected: %s", self._group, error)
                return
            self._session = session

    def close(self) -> None:
        self._checking.stop()
        self._let_go()

    def _let_go(self) -> None:
        """The session first: another worker may take the lock once it is gone."""
        if self._session is not None:
            self._stored_before += self._session.stored
            self._session.close()
            self._session = None
        if self._conn is not None:
            self._conn.close()  # ends the database session, and with it the lock
            self._conn = None
