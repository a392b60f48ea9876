"""The one place badge events are matched: `hygiene_inbox` in, anonymous counts out.

Every ingest worker runs a `HygieneMatcher`, but only the one whose connection holds an
advisory lock acts; the others try for the lock each round and take over within a second or
two of its end. With a share group, a badge's rub and the bed entry it served may be
delivered to different workers; matching in one place counts the ward as one worker would.

Each round takes the inbox in id order, feeds each badge's aggregator, and stores in one
transaction, on the connection that holds the lock (a matcher that lost it cannot commit):
the counts decided, the deletion of the inbox rows they came from, and what each badge's
aggregator still holds back for late messages (`hygiene_badge_state`). Whoever takes the role
next, after a restart, a crash or a database outage, starts from that state, so the events of
the last minutes are neither lost nor counted twice.

The once-a-minute tick for quiet badges stores only the badges it changed, and its clock
(`hygiene_matcher_clock`, with the number of the round that stored it); the next holder
replays that tick on every badge state stored in that round or before. With
every badge quiet, a tick that rewrote them all took 0.34 s at 5,000 badges and 1.4 s at
20,000 (holding the inbox up meanwhile); one that writes none takes 0.05 and 0.2 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from tilsyn.platform.hygiene.aggregator import BadgeAggregator
from tilsyn.platform.hygiene.counts import ComplianceCount, DroppedCount, merge
from tilsyn.platform.hygiene.site import WARD_TIMEZONE, Site
from tilsyn.platform.ingest.tables import HYGIENE_COMPLIANCE_COUNTS, HYGIENE_DROPPED_COUNTS, Row
from tilsyn.platform.ingest.writer import copy_rows

log = logging.getLogger(__name__)

# Any constant that no other advisory lock of this database uses.
MATCHER_LOCK = 0x7469_6C73_6868  # "tilshh"
INBOX_BATCH = 2000
# The wards are read again this often even without a notice (SiteNotices) of a change.
SITES_RELOAD_S = 60.0


class SiteNotices:
    """The `tilsyn_site_changes` channel (db/listener.py, migration 0041): a zone or dispenser
    registered or changed by any process is counted against from the matcher's next round."""

    name = "tilsyn_site_changes"

    def __init__(self, matcher: HygieneMatcher) -> None:
        self._matcher = matcher

    def heard(self, conn: psycopg.Connection, payloads: list[str]) -> None:
        self._matcher.sites_changed()

    def listening(self, conn: psycopg.Connection, after_loss: bool) -> None:
        if after_loss:  # changes made meanwhile are unknown
            self._matcher.sites_changed()


@dataclass(frozen=True)
class _Decided:
    """What one round decided, to be stored together."""

    inbox_ids: list[int]
    counts: list[Row]
    dropped: list[Row]
    states: list[tuple[str, str, Jsonb]]  # (badge, ward, what its aggregator holds back)
    ticked_at: int | None  # the clock this round's tick decided quiet badges by


class HygieneMatcher:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._holds_role = False
        self._sites: dict[str, Site] = {}
        self._sites_read_at = float("-inf")
        self._badges: dict[tuple[str, str], BadgeAggregator] = {}  # (badge, ward)

    @property
    def matching(self) -> bool:
        """Whether this process holds the role now."""
        return self._holds_role

    def match(self, now: datetime | None = None) -> bool:
        """Take everything in the inbox and store the counts it decides; with `now`, also let
        that clock decide badges gone quiet. False when another process holds the role. A
        database error gives the role up (the session holding it is gone) and is raised;
        what this round changed in memory is dropped with it, and read back when the role is
        taken again."""
        with self._lock:
            try:
                conn = self._take_role()
                if conn is None:
                    return False
                if self.sites_outdated:
                    self._read_sites(conn)
                while True:
                    decided = self._decide(conn, now)
                    now = None
                    self._store(conn, decided)
                    if len(decided.inbox_ids) < INBOX_BATCH:
                        return True
            except psycopg.Error:
                self._drop_connection()
                raise

    @property
    def sites_outdated(self) -> bool:
        """Whether the next round reads the wards' zones and dispensers again first."""
        return time.monotonic() - self._sites_read_at > SITES_RELOAD_S

    def sites_changed(self) -> None:
        """A ward's zones or dispensers changed: read them again before the next round."""
        self._sites_read_at = float("-inf")  # one float store: no lock needed

    def close(self) -> None:
        """Give the role up: another worker takes it on its next round."""
        with self._lock:
            self._drop_connection()

    def __enter__(self) -> HygieneMatcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _take_role(self) -> psycopg.Connection | None:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._database_url, autocommit=True, connect_timeout=5)
            self._holds_role = False
        if self._holds_role:
            return self._conn
        got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (MATCHER_LOCK,)).fetchone()
        if got is None or not got[0]:
            return None
        self._read_sites(self._conn)
        # What the last holder stored, whoever it was; nothing of this process's memory.
        clock = self._conn.execute(
            "SELECT ticked_at, written_in FROM hygiene_matcher_clock"
        ).fetchone()
        self._badges = {}
        for dev_eui, ward, state, written_in in self._conn.execute(
            "SELECT dev_eui, ward_id, state, written_in FROM hygiene_badge_state"
        ):
            aggregator = BadgeAggregator.from_state(self._site(ward), state)
            # The last tick left unwritten only the badges it changed nothing of but the
            # clock; a badge first written after it never had it.
            if clock is not None and written_in <= clock[1] and aggregator.tick(clock[0]):
                log.error("replaying the last tick on badge state %s decided counts", dev_eui)
            self._badges[(dev_eui, ward)] = aggregator
        self._holds_role = True
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session, and with it the lock
        self._conn, self._holds_role = None, False

    def _read_sites(self, conn: psycopg.Connection) -> None:
        zones = conn.execute(
            "SELECT ward_id, zone_id, room_id, zone_type FROM hygiene_zones"
        ).fetchall()
        dispensers = conn.execute(
            "SELECT ward_id, dispenser_id, room_id FROM dispensers"
        ).fetchall()
        self._sites = {
            ward: Site.from_rooms(
                ward,
                [(z[1], z[2], z[3]) for z in zones if z[0] == ward],
                [(d[1], d[2]) for d in dispensers if d[0] == ward],
            )
            for ward in {row[0] for row in zones}
        }
        self._sites_read_at = time.monotonic()
        for (_, ward), aggregator in self._badges.items():
            aggregator.use_site(self._site(ward))

    def _site(self, ward: str) -> Site:
        """A ward whose zones are gone has an empty site: its badges' events count as
        unmapped, beside the rates, rather than vanish."""
        return self._sites.get(ward) or Site.from_rooms(ward, [], [])

    def _decide(self, conn: psycopg.Connection, now: datetime | None) -> _Decided:
        inbox = conn.execute(
            "SELECT id, dev_eui, ward_id, message FROM hygiene_inbox ORDER BY id LIMIT %s",
            (INBOX_BATCH,),
        ).fetchall()
        counts: list[ComplianceCount] = []
        dropped: list[DroppedCount] = []
        touched: set[tuple[str, str]] = set()
        for inbox_id, dev_eui, ward, message in inbox:
            badge = (dev_eui, ward)
            aggregator = self._badges.get(badge)
            if aggregator is None:
                aggregator = self._badges[badge] = BadgeAggregator(self._site(ward))
            try:
                counts += aggregator.add(message)
            except (KeyError, TypeError, ValueError):
                # Ingest checked the events before storing them; kept from blocking the inbox.
                log.exception("badge message %s in the hygiene inbox is unusable", inbox_id)
            dropped += aggregator.take_dropped(ward)
            touched.add(badge)
        ticked_at = None if now is None else int(now.timestamp())
        if ticked_at is not None:
            for badge, aggregator in self._badges.items():
                held = aggregator.held_events
                decided = aggregator.tick(ticked_at)
                if decided or aggregator.held_events != held:
                    touched.add(badge)
                counts += decided
        states = [(*badge, Jsonb(self._badges[badge].state())) for badge in sorted(touched)]
        return _Decided(
            [row[0] for row in inbox],
            _count_rows(merge(counts)),
            _dropped_rows(dropped),
            states,
            ticked_at,
        )

    def _store(self, conn: psycopg.Connection, decided: _Decided) -> None:
        if not (
            decided.inbox_ids
            or decided.counts
            or decided.dropped
            or decided.states
            or decided.ticked_at is not None
        ):
            return
        with conn.transaction():
            round_row = conn.execute("SELECT nextval('hygiene_matcher_rounds')").fetchone()
            assert round_row is not None
            written_in = round_row[0]
            copy_rows(conn, HYGIENE_COMPLIANCE_COUNTS, decided.counts)
            copy_rows(conn, HYGIENE_DROPPED_COUNTS, decided.dropped)
            conn.execute("DELETE FROM hygiene_inbox WHERE id = ANY(%s)", (decided.inbox_ids,))
            with conn.cursor() as cur:
                cur.executemany(
                    """INSERT INTO hygiene_badge_state (dev_eui, ward_id, state, written_in)
                       VALUES (%s, %s, %s, %s)
                       ON CONFLICT (dev_eui, ward_id) DO UPDATE SET state = EXCLUDED.state,
                           written_in = EXCLUDED.written_in, updated_at = now()""",
                    [(*state, written_in) for state in decided.states],
                )
            if decided.ticked_at is not None:
                conn.execute(
                    """INSERT INTO hygiene_matcher_clock (ticked_at, written_in)
                       VALUES (%s, %s)
                       ON CONFLICT (one) DO UPDATE SET ticked_at = EXCLUDED.ticked_at,
                           written_in = EXCLUDED.written_in""",
                    (decided.ticked_at, written_in),
                )


def _count_rows(counts: Iterable[ComplianceCount]) -> list[Row]:
    return [
        (_local_midnight(c.day), c.ward, c.zone_type, c.day, c.role, c.opportunities, c.met)
        for c in counts
    ]


def _dropped_rows(dropped: Iterable[DroppedCount]) -> list[Row]:
    return [
        (_local_midnight(d.day), d.ward, d.day, d.reason, d.zone_type, d.events) for d in dropped
    ]


def _local_midnight(day: Any, timezone: str = WARD_TIMEZONE) -> datetime:
    return datetime.combine(day, clock_time(0), ZoneInfo(timezone))
