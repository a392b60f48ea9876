"""Changes committed by other processes, as they commit: the database's notices (LISTEN, see
migration 0040) on a connection of their own, read in a thread and handed to each channel.

A channel is told when listening starts, so that it can note where things stand, and what it
heard, in batches (a burst of notices costs one read). Notices sent while nobody listened are
not kept by PostgreSQL: after a lost connection is made again, each channel catches up from
its tables.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

WAIT_S = 0.5  # how long one wait for a notice lasts: how soon a stop is noticed
BURST_S = 0.02  # after a notice, how long to gather the rest of its burst
RETRY_S = 1.0  # between attempts to connect again
APPLICATION_NAME = "tilsyn change notices"  # how its connection shows in pg_stat_activity


class Channel(Protocol):
    name: str  # the notices' channel in PostgreSQL

    def heard(self, conn: psycopg.Connection, payloads: list[str]) -> None:
        """Notices in the order they came; a payload may repeat."""

    def listening(self, conn: psycopg.Connection, after_loss: bool) -> None:
        """Listening has begun, or begun again after the connection was lost (`after_loss`):
        then catch up on what may have passed unheard."""


class ChangeListener:
    def __init__(
        self, database_url: str, channels: Sequence[Channel], retry_s: float = RETRY_S
    ) -> None:
        self._database_url = database_url
        self._channels = {channel.name: channel for channel in channels}
        self._retry_s = retry_s
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while notices can arrive
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        listened_before = False
        while not self._stopping.is_set():
            try:
                self._listen(after_loss=listened_before)
            except psycopg.OperationalError as error:
                log.warning("change notices: lost the database (%s); trying again", error)
            except Exception:
                log.exception("change notices: a channel failed; listening again")
            finally:
                listened_before = listened_before or self.listening.is_set()
                self.listening.clear()
            self._stopping.wait(self._retry_s)

    def _listen(self, after_loss: bool) -> None:
        with psycopg.connect(
            self._database_url, autocommit=True, application_name=APPLICATION_NAME
        ) as conn:
            for name in self._channels:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(name)))
            # After LISTEN, so that nothing falls between the catching up and the notices.
            for channel in self._channels.values():
                channel.listening(conn, after_loss)
            self.listening.set()
            while not self._stopping.is_set():
                # Each read ends the generator before the channels use the connection.
                notices = list(conn.notifies(timeout=WAIT_S, stop_after=1))
                if not notices:
                    continue
                notices += conn.notifies(timeout=BURST_S)
                by_channel: dict[str, list[str]] = {}
                for notice in notices:
                    by_channel.setdefault(notice.channel, []).append(notice.payload)
                for name, payloads in by_channel.items():
                    self._channels[name].heard(conn, payloads)
