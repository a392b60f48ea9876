"""A badge's message on the ingest stream: its events, re-timed, into the matcher's inbox.

Classifying a badge message changes nothing in memory: its events go to `hygiene_inbox` in the
batch's transaction, under the message's idempotency key and frame key like any other row, so
a redelivered or replayed frame is kept out by the writer and no badge's events are counted
twice. One process matches them (`hygiene_matcher.py`), however many ingest workers share the
stream: a badge's rub and the bed entry it served may reach different workers.

A badge's events count only if they reach the matcher within its lateness; later ones are
dropped, since their time has been decided. A badge clock running slow, or a badge sending a
backlog, would lose nearly everything that way, so a message whose events all end more than
the lateness before its arrival is placed to end at the arrival, as a clock far off is
(docs/threat-model.md). A message that arrives within the lateness keeps its times, so that
out-of-order delivery is sorted out as the matcher intends. A network time that is old but
real (a gateway forwarding what it buffered) is believed: those events can still be late, and
are then counted per ward and day as dropped (`hygiene_dropped_counts`), which the
infection-control screen shows beside the rates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from tilsyn.platform.hygiene.aggregator import DEFAULT_LATENESS_S
from tilsyn.platform.hygiene.events import events_of
from tilsyn.platform.ingest.directory import BadgeDevice
from tilsyn.platform.ingest.envelopes import LoRaUplink
from tilsyn.platform.ingest.lorawan import window_start
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import HYGIENE_INBOX

# How long before its arrival a badge message's window may end and keep its own times.
BADGE_LATENESS = timedelta(seconds=DEFAULT_LATENESS_S)


def badge_rows(
    uplink: LoRaUplink, badge: BadgeDevice, fields: dict[str, Any], at: datetime
) -> Accepted:
    """`at`: the network's time of the uplink. A badge clock far off (a year ahead after a
    battery change) would put every later event of that badge behind it, as late."""
    if fields.get("message") != "badge_events":
        raise ValueError(f"a badge sent a {fields.get('message')!r} message")
    if not badge.zoned:
        raise ValueError(f"ward {badge.ward_id} has no hand-hygiene zones registered")
    last = max((event["offset_s"] for event in fields["events"]), default=0)
    start = badge_window_start(fields["time"], last, at)
    message = {**fields, "time": int(start.timestamp())}
    events_of(message)  # refused here, with the message, rather than in the matcher
    row = (uplink.dev_eui, badge.ward_id, Jsonb(message))
    return Accepted(uplink.idempotency_key, ((HYGIENE_INBOX, (row,)),))


def badge_window_start(unix_seconds: int, last_offset_s: int, at: datetime) -> datetime:
    """The start of a badge message's window: by the badge's clock, unless that clock is off
    (`window_start`) or the window ends longer before its arrival than ingest waits for late
    events. Then every event would be dropped as late, so the window is placed to end at the
    arrival."""
    last = timedelta(seconds=last_offset_s)
    start = window_start(unix_seconds, last_offset_s, at)
    return at - last if start + last < at - BADGE_LATENESS else start
