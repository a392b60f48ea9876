"""Hand-hygiene compliance on the ingest stream: one aggregator per badge, counts out.

Only anonymous counts per ward, zone type, day and role are stored. Events an aggregator still
holds back (for late messages) live in memory only: a restart of ingest loses the opportunities
of the last minutes that were not yet decided, and never stores a badge's events.

A badge's events count only if they arrive within the aggregator's lateness; later ones are
dropped, since their time has been decided. A badge clock running slow, or a badge sending a
backlog, would lose nearly everything that way, so a message whose events all end more than
the lateness before its arrival is placed to end at the arrival, as a clock far off is
(docs/threat-model.md). A message that arrives within the lateness keeps its times, so that
out-of-order delivery is sorted out as the aggregator intends. A network time that is old but
real (a gateway forwarding what it buffered) is believed: those events can still be late, and
are then counted per ward and day as dropped (`hygiene_dropped_counts`), which the
infection-control screen shows beside the rates.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from tilsyn.platform.hygiene.aggregator import DEFAULT_LATENESS_S, BadgeAggregator
from tilsyn.platform.hygiene.counts import ComplianceCount, DroppedCount
from tilsyn.platform.hygiene.site import WARD_TIMEZONE, Site
from tilsyn.platform.ingest.directory import BadgeDevice
from tilsyn.platform.ingest.envelopes import LoRaUplink
from tilsyn.platform.ingest.lorawan import window_start
from tilsyn.platform.ingest.outcomes import Accepted, frame_key, stored_key
from tilsyn.platform.ingest.tables import (
    HYGIENE_COMPLIANCE_COUNTS,
    HYGIENE_DROPPED_COUNTS,
    Row,
    Table,
)

# Frames counted by this process and maybe not stored yet (a batch is written after it is
# classified); older ones are in the database. Enough for several full batches.
RECENT_FRAMES = 20_000
# How long before its arrival a badge message's window may end and keep its own times.
BADGE_LATENESS = timedelta(seconds=DEFAULT_LATENESS_S)


class HygieneTracker:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._sites: dict[str, Site] = {}
        self._badges: dict[str, BadgeAggregator] = {}
        self._ward_of: dict[str, str] = {}  # badge -> ward
        self._lock = threading.Lock()
        self._counted: OrderedDict[str, None] = OrderedDict()  # keys of frames counted here
        self._lookup: psycopg.Connection | None = None  # kept open: one check per message
        self._closes_lookup: weakref.finalize[[], HygieneTracker] | None = None

    def load(self) -> None:
        """The wards' zones and dispensers as registered now; each badge's aggregator is
        handed its ward's layout, so a dispenser added while ingest runs counts."""
        with psycopg.connect(self._database_url) as conn:
            zones = conn.execute(
                "SELECT ward_id, zone_id, room_id, zone_type FROM hygiene_zones"
            ).fetchall()
            dispensers = conn.execute(
                "SELECT ward_id, dispenser_id, room_id FROM dispensers"
            ).fetchall()
        sites = {}
        for ward in {row[0] for row in zones}:
            sites[ward] = Site.from_rooms(
                ward,
                [(z[1], z[2], z[3]) for z in zones if z[0] == ward],
                [(d[1], d[2]) for d in dispensers if d[0] == ward],
            )
        with self._lock:
            self._sites = sites
            for dev_eui, aggregator in self._badges.items():
                site = sites.get(self._ward_of[dev_eui])
                if site is not None:
                    aggregator.use_site(site)

    def seen(self, key: str, dev_eui: str, session: int, fcnt: int) -> bool:
        """Whether the message (its idempotency key) or its frame was counted here or is
        stored already. The frame is looked for under the latest session either this worker
        or the database knows (another worker may have taken the join). A database error
        drops the kept connection and is raised: the caller waits out the outage."""
        if key in self._counted or frame_key(dev_eui, session, fcnt) in self._counted:
            return True
        try:
            if self._lookup is None or self._lookup.closed:
                self._lookup = psycopg.connect(self._database_url, autocommit=True)
                # Closed with the tracker, if nobody called close() before.
                self._closes_lookup = weakref.finalize(self, self._lookup.close)
            row = self._lookup.execute(
                """SELECT 1 FROM ingest_keys WHERE key = %(key)s OR key = format('fc:%%s:%%s:%%s',
                       %(dev)s::text, greatest(%(session)s::bigint, (SELECT floor(extract(
                           epoch FROM max(time)))::bigint FROM device_joins
                           WHERE dev_eui = %(dev)s)), %(fcnt)s::bigint)
                   LIMIT 1""",
                {"key": stored_key(key), "dev": dev_eui, "session": session, "fcnt": fcnt},
            ).fetchone()
        except psycopg.OperationalError:
            self.close()
            raise
        return row is not None

    def counted(self, key: str, dev_eui: str, session: int, fcnt: int) -> None:
        """Remember a frame whose events the aggregator took, until it is surely stored."""
        for counted_key in (key, frame_key(dev_eui, session, fcnt)):
            self._counted[counted_key] = None
        while len(self._counted) > RECENT_FRAMES:
            self._counted.popitem(last=False)

    def close(self) -> None:
        if self._closes_lookup is not None:
            self._closes_lookup()  # closes the connection, once
        self._lookup = self._closes_lookup = None

    def badge_rows(
        self, uplink: LoRaUplink, badge: BadgeDevice, fields: dict[str, Any], at: datetime
    ) -> Accepted:
        """`at`: the network's time of the uplink. A badge clock far off (a year ahead after
        a battery change) would put every later event of that badge behind it, as late."""
        if fields.get("message") != "badge_events":
            raise ValueError(f"a badge sent a {fields.get('message')!r} message")
        last = max((event["offset_s"] for event in fields["events"]), default=0)
        start = badge_window_start(fields["time"], last, at)
        fields = {**fields, "time": int(start.timestamp())}
        aggregator = self._aggregator(uplink.dev_eui, badge.ward_id)
        with self._lock:
            counts = aggregator.add(fields)
            dropped = aggregator.take_dropped(badge.ward_id)
        tables: tuple[tuple[Table, tuple[Row, ...]], ...] = (
            (HYGIENE_COMPLIANCE_COUNTS, _rows(counts)),
        )
        if dropped:
            tables += ((HYGIENE_DROPPED_COUNTS, _dropped_rows(dropped)),)
        return Accepted(uplink.idempotency_key, tables)

    def decide_quiet_badges(self, now: datetime) -> Accepted | None:
        """Counts of badges that went quiet, decided by the clock instead of newer events."""
        with self._lock:
            counts = [c for a in self._badges.values() for c in a.tick(int(now.timestamp()))]
        if not counts:
            return None
        return Accepted(
            f"hygiene-tick:{uuid.uuid4()}", ((HYGIENE_COMPLIANCE_COUNTS, _rows(counts)),)
        )

    def _aggregator(self, dev_eui: str, ward_id: str) -> BadgeAggregator:
        with self._lock:
            aggregator = self._badges.get(dev_eui)
            if aggregator is not None:
                return aggregator
        if ward_id not in self._sites:
            self.load()
        site = self._sites.get(ward_id)
        if site is None:
            raise ValueError(f"ward {ward_id} has no hand-hygiene zones registered")
        with self._lock:
            self._ward_of[dev_eui] = ward_id
            return self._badges.setdefault(dev_eui, BadgeAggregator(site))


def badge_window_start(unix_seconds: int, last_offset_s: int, at: datetime) -> datetime:
    """The start of a badge message's window: by the badge's clock, unless that clock is off
    (`window_start`) or the window ends longer before its arrival than ingest waits for late
    events. Then every event would be dropped as late, so the window is placed to end at the
    arrival."""
    last = timedelta(seconds=last_offset_s)
    start = window_start(unix_seconds, last_offset_s, at)
    return at - last if start + last < at - BADGE_LATENESS else start


def _rows(counts: Iterable[ComplianceCount]) -> tuple[Row, ...]:
    return tuple(
        (_local_midnight(c.day), c.ward, c.zone_type, c.day, c.role, c.opportunities, c.met)
        for c in counts
    )


def _dropped_rows(dropped: Iterable[DroppedCount]) -> tuple[Row, ...]:
    return tuple(
        (_local_midnight(d.day), d.ward, d.day, d.reason, d.zone_type, d.events) for d in dropped
    )


def _local_midnight(day: Any, timezone: str = WARD_TIMEZONE) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone))
