"""Alert state in the database. Every change writes its history and, in the same transaction,
the notification announcing it to the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from tilsyn.platform.alerts.models import (
    ACK_WITHIN,
    SEVERITY_RANK,
    Alert,
    Comment,
    HistoryEntry,
    Signal,
)
from tilsyn.platform.planning.night_status import NIGHT_TASK_COLUMNS, night_task_out

_COLUMNS = """alert_id, entity_type, entity_id, rule, severity, state, audience, unit, title,
    detail, assignee, occurrences, first_at, last_at, ack_deadline, escalation_level,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by"""
_COLUMN_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))
# An alert with the night task it became, if any (at most one: a task's alert_id is unique).
_ALERT_AND_TASK = f"""SELECT {", ".join(f"a.{name}" for name in _COLUMN_NAMES)},
    {NIGHT_TASK_COLUMNS} FROM alerts a LEFT JOIN night_tasks t ON t.alert_id = a.alert_id"""


class AlertNotFound(LookupError):
    pass


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class Coalesced:
    """All signals of one batch for one (entity, rule): one database write, not one per signal."""

    last: Signal
    count: int
    worst: Signal


# Outbox ids must become visible in the order they are given: a stream replays what follows the
# last id a client saw, so an id committed after a higher one would be skipped for good. Every
# transaction that writes the outbox takes this lock first, before any alert row (so two never
# wait on each other), and holds it until it commits.
_OUTBOX_ORDER_LOCK = 7_305_001
# Outbox entries per read of a stream's replay.
REPLAY_PAGE = 1000


def _in_outbox_order(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_OUTBOX_ORDER_LOCK,))


def _on_duty(audience: str, unit: str, at: str) -> str:
    """SQL for who is on duty for an alert's audience and unit at `at` (SQL expressions)."""
    return f"""(SELECT person FROM duty_roster WHERE role = {audience}
                    AND unit IN ({unit}, '*') AND {at} >= starts_at AND {at} < ends_at
                ORDER BY (unit = '*'), starts_at DESC LIMIT 1)"""


def coalesce(signals: Iterable[Signal]) -> list[Coalesced]:
    grouped: dict[tuple[str, str, str, bool], Coalesced] = {}
    for signal in signals:
        key = (*signal.key, signal.active)
        seen = grouped.get(key)
        if seen is None:
            grouped[key] = Coalesced(signal, 1, signal)
            continue
        worst = signal if _rank(signal) > _rank(seen.worst) else seen.worst
        last = signal if signal.at >= seen.last.at else seen.last
        grouped[key] = Coalesced(last, seen.count + 1, worst)
    return sorted(grouped.values(), key=lambda c: c.last.at)


def apply_signals(conn: psycopg.Connection, signals: Sequence[Signal]) -> list[int]:
    """Raise, count or clear alerts; returns the outbox ids written.

    The statements are sent in a pipeline and their results read after: in a storm a round
    holds hundreds of changes, and waiting for each answer before sending the next made the
    engine fall behind by seconds (`make bench-alerts`, the churning figures)."""
    outbox: list[int] = []
    with conn.transaction():
        _in_outbox_order(conn)
        groups = coalesce(signals)
        with conn.pipeline():
            sent = [
                _raise_or_count(conn, group) if group.last.active else _clear(conn, group.last)
                for group in groups
            ]
        for group, cursor in zip(groups, sent, strict=True):
            if group.last.active:
                outbox += _escalated_or_raised(conn, group, cursor.fetchone())
            else:
                outbox += [int(row[0]) for row in cursor.fetchall()]
    return outbox


def _raise_or_count(conn: psycopg.Connection, group: Coalesced) -> psycopg.Cursor[Any]:
    """Sends the statement that raises the alert (with its history and announcement) or
    counts another occurrence of the open one; `_escalated_or_raised` reads its answer."""
    s, worst = group.last, group.worst
    return conn.execute(
        f"""WITH upserted AS (
                INSERT INTO alerts AS a (entity_type, entity_id, rule, severity, state,
                    audience, unit, title, detail, assignee, occurrences, first_at, last_at,
                    ack_deadline)
                VALUES (%(entity_type)s, %(entity_id)s, %(rule)s, %(severity)s, 'open',
                    %(audience)s, %(unit)s, %(title)s, %(alert_detail)s,
                    {_on_duty("%(audience)s", "%(unit)s", "now()")},
                    %(count)s, %(at)s, %(at)s, now() + %(deadline)s)
                ON CONFLICT (entity_type, entity_id, rule) WHERE state <> 'resolved' DO UPDATE SET
                    occurrences = a.occurrences + EXCLUDED.occurrences,
                    last_at = greatest(a.last_at, EXCLUDED.last_at),
                    detail = EXCLUDED.detail,
                    title = EXCLUDED.title
                RETURNING {_COLUMNS}, (xmax = 0) AS raised),
            -- Only a new alert is news; another occurrence of an open one is counted.
            changed AS (SELECT {_COLUMNS} FROM upserted WHERE raised),
            {_RECORDED}
           SELECT alert_id, raised, severity, (SELECT id FROM outbox) FROM upserted""",
        {
            "entity_type": s.entity_type,
            "entity_id": s.entity_id,
            "rule": s.rule,
            "severity": worst.severity,
            "audience": s.audience,
            "unit": s.unit,
            "title": s.title,
            "alert_detail": Jsonb(dict(s.detail)),
            "count": group.count,
            "at": s.at,
            "deadline": ACK_WITHIN[worst.severity],
            **_event("raised", "rule", {"title": s.title}),
        },
    )


def _escalated_or_raised(
    conn: psycopg.Connection, group: Coalesced, row: tuple[Any, ...] | None
) -> list[int]:
    """The raised alert's announcement; or, for an open alert whose new occurrence is worse
    than it was (a yellow SpO2 gone red), the alert goes up to that severity and says so."""
    assert row is not None
    alert_id, raised, severity, outbox_id = row
    if raised:
        return [int(outbox_id)]
    worst = group.worst
    deadline = ACK_WITHIN[worst.severity]
    if SEVERITY_RANK[worst.severity] > SEVERITY_RANK[severity]:
        conn.execute(
            "UPDATE alerts SET severity = %s, state = 'open', ack_deadline = now() + %s"
            " WHERE alert_id = %s",
            (worst.severity, deadline, alert_id),
        )
        return _record(conn, alert_id, "escalated", "rule", {"severity": worst.severity})
    return []


def _clear(conn: psycopg.Connection, signal: Signal) -> psycopg.Cursor[Any]:
    """Sends the statement that resolves the alert, unless the clearing reading is older than
    the latest one that raised it (a hub's backlog, a late worker): that says nothing about
    now. Its rows are the outbox ids written."""
    entity_type, entity_id, rule = signal.key
    return conn.execute(
        f"""WITH changed AS (
                UPDATE alerts SET state = 'resolved', resolved_at = %(at)s, resolved_by = 'rule'
                WHERE entity_type = %(entity_type)s AND entity_id = %(entity_id)s
                  AND rule = %(rule)s AND state <> 'resolved' AND last_at <= %(at)s
                RETURNING {_COLUMNS}),
            {_RECORDED} SELECT id FROM outbox""",
        {
            "at": signal.at,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "rule": rule,
            **_event("resolved", "rule", {"cleared": signal.title}),
        },
    )


def acknowledge(conn: psycopg.Connection, alert_id: int, actor: str, at: datetime) -> list[int]:
    with conn.transaction():
        _in_outbox_order(conn)
        state = _state(conn, alert_id)
        if state != "open":
            raise InvalidTransition(f"alert {alert_id} is {state}, not open")
        conn.execute(
            "UPDATE alerts SET state = 'acknowledged', acknowledged_at = %s, acknowledged_by = %s"
            " WHERE alert_id = %s",
            (at, actor, alert_id),
        )
        return _record(conn, alert_id, "acknowledged", actor, {})


def resolve(
    conn: psycopg.Connection, alert_id: int, actor: str, at: datetime, note: str = ""
) -> list[int]:
    with conn.transaction():
        _in_outbox_order(conn)
        state = _state(conn, alert_id)
        if state == "resolved":
            raise InvalidTransition(f"alert {alert_id} is already resolved")
        return _resolved(conn, alert_id, actor, at, note)


def resolve_all_of(
    conn: psycopg.Connection, entity_type: str, entity_id: str, actor: str, at: datetime, note: str
) -> list[int]:
    """Resolve every alert of one entity still open or acknowledged (a container taken off the
    street leaves nothing to act on)."""
    outbox: list[int] = []
    with conn.transaction():
        _in_outbox_order(conn)
        active = conn.execute(
            "SELECT alert_id FROM alerts WHERE entity_type = %s AND entity_id = %s"
            " AND state <> 'resolved' ORDER BY alert_id FOR UPDATE",
            (entity_type, entity_id),
        ).fetchall()
        for (alert_id,) in active:
            outbox += _resolved(conn, alert_id, actor, at, note)
    return outbox


def _resolved(
    conn: psycopg.Connection, alert_id: int, actor: str, at: datetime, note: str
) -> list[int]:
    conn.execute(
        "UPDATE alerts SET state = 'resolved', resolved_at = %s, resolved_by = %s"
        " WHERE alert_id = %s",
        (at, actor, alert_id),
    )
    return _record(conn, alert_id, "resolved", actor, {"note": note} if note else {})


def comment(conn: psycopg.Connection, alert_id: int, actor: str, text: str) -> list[int]:
    with conn.transaction():
        _in_outbox_order(conn)
        _state(conn, alert_id)
        return _record(conn, alert_id, "commented", actor, {"text": text})


def record_night_visit(conn: psycopg.Connection, alert_id: int, visit: dict[str, Any]) -> list[int]:
    """The night shift's answer to a patient alert changed: a nurse is now planned (and when
    she is expected) or none can come (and why). Kept in the alert's history and announced,
    so the alert's screens and webhooks hear of it, not only the night phones."""
    with conn.transaction():
        _in_outbox_order(conn)
        _state(conn, alert_id)
        return _record(conn, alert_id, "night_visit", "night planner", visit)


def escalate_due(conn: psycopg.Connection, now: datetime) -> list[int]:
    """Open alerts not acknowledged in their rule's time go one level up, and are announced."""
    outbox: list[int] = []
    with conn.transaction():
        _in_outbox_order(conn)
        due = conn.execute(
            "SELECT alert_id, severity FROM alerts WHERE state = 'open'"
            " AND ack_deadline <= %s ORDER BY alert_id FOR UPDATE",
            (now,),
        ).fetchall()
        for alert_id, severity in due:
            # One raised while no one was on duty goes to whoever is on duty now.
            on_duty = _on_duty("a.audience", "a.unit", "%(now)s")
            row = conn.execute(
                f"""UPDATE alerts a SET escalation_level = escalation_level + 1,
                       ack_deadline = %(deadline)s, assignee = coalesce(a.assignee, {on_duty})
                   WHERE alert_id = %(alert_id)s RETURNING escalation_level""",
                {
                    "deadline": now + (ACK_WITHIN[severity] or timedelta(0)),
                    "now": now,
                    "alert_id": alert_id,
                },
            ).fetchone()
            assert row is not None
            outbox += _record(conn, alert_id, "escalated", "escalation", {"level": row[0]})
    return outbox


def get_alert(conn: psycopg.Connection, alert_id: int) -> Alert:
    with conn.cursor(row_factory=dict_row) as cur:
        found = cur.execute(f"{_ALERT_AND_TASK} WHERE a.alert_id = %s", (alert_id,)).fetchone()
        if found is None:
            raise AlertNotFound(f"no alert {alert_id}")
        history = cur.execute(
            "SELECT at, event, actor, detail FROM alert_history WHERE alert_id = %s ORDER BY id",
            (alert_id,),
        ).fetchall()
    return _alert(found, _comments(conn, [alert_id]), [HistoryEntry(**h) for h in history])


def list_alerts(
    conn: psycopg.Connection, audiences: Sequence[str], active_only: bool = True, limit: int = 200
) -> list[Alert]:
    where = "a.audience = ANY(%s)" + (" AND a.state <> 'resolved'" if active_only else "")
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            # The most urgent first, so that a long list never leaves a critical one out.
            f"{_ALERT_AND_TASK} WHERE {where}"
            " ORDER BY (a.state = 'resolved'), CASE a.severity WHEN 'critical' THEN 0"
            " WHEN 'warning' THEN 1 ELSE 2 END, (a.state = 'acknowledged'), a.last_at DESC"
            " LIMIT %s",
            (list(audiences), limit),
        ).fetchall()
    comments = _comments(conn, [row["alert_id"] for row in rows])
    return [_alert(row, comments) for row in rows]


def _alert(
    row: dict[str, Any],
    comments: dict[int, list[Comment]],
    history: Sequence[HistoryEntry] = (),
) -> Alert:
    """An alert read with its night task (`_ALERT_AND_TASK`), its comments and history."""
    return Alert(
        **{name: row[name] for name in _COLUMN_NAMES},
        history=list(history),
        comments=comments.get(row["alert_id"], []),
        night_task=night_task_out(row),
    )


def _comments(conn: psycopg.Connection, alert_ids: Sequence[int]) -> dict[int, list[Comment]]:
    """The comments of each alert, oldest first, in one read for all of them."""
    if not alert_ids:
        return {}
    rows = conn.execute(
        "SELECT alert_id, at, actor, detail->>'text' FROM alert_history"
        " WHERE alert_id = ANY(%s) AND event = 'commented' ORDER BY alert_id, id",
        (list(alert_ids),),
    ).fetchall()
    found: dict[int, list[Comment]] = {}
    for alert_id, at, actor, text in rows:
        found.setdefault(alert_id, []).append(Comment(at=at, actor=actor, text=text or ""))
    return found


def _state(conn: psycopg.Connection, alert_id: int) -> str:
    row = conn.execute("SELECT state FROM alerts WHERE alert_id = %s FOR UPDATE", (alert_id,))
    found = row.fetchone()
    if found is None:
        raise AlertNotFound(f"no alert {alert_id}")
    return str(found[0])


def _record(
    conn: psycopg.Connection, alert_id: int, event: str, actor: str, detail: dict[str, Any]
) -> list[int]:
    """History and the outbox entry for one change, with the alert as it now stands."""
    rows = conn.execute(
        f"WITH changed AS (SELECT {_COLUMNS} FROM alerts WHERE alert_id = %(alert_id)s),"
        f" {_RECORDED} SELECT id FROM outbox",
        {"alert_id": alert_id, **_event(event, actor, detail)},
    ).fetchall()
    return [int(row[0]) for row in rows]


# What `_record` writes, for the alerts in a CTE `changed` (the columns of `_COLUMNS`), in the
# statement that changes them: the engine writes hundreds a second, one round trip each.
_RECORDED = """history AS (
        INSERT INTO alert_history (alert_id, event, actor, detail)
        SELECT alert_id, %(event)s, %(actor)s, %(detail)s FROM changed),
    outbox AS (
        INSERT INTO notification_outbox (alert_id, audience, event, payload)
        SELECT alert_id, audience, %(event)s,
               jsonb_build_object('event', %(event)s::text, 'alert', to_jsonb(changed))
        FROM changed RETURNING id, audience),
    -- Webhook deliveries are due from the same commit, so a restart cannot lose them.
    deliveries AS (
        INSERT INTO webhook_deliveries (outbox_id, webhook_id)
        SELECT outbox.id, w.webhook_id FROM outbox, webhooks w
        WHERE w.active AND outbox.audience = ANY(w.audiences))"""


def _event(event: str, actor: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"event": event, "actor": actor, "detail": Jsonb(detail)}


def _rank(signal: Signal) -> int:
    return SEVERITY_RANK[signal.severity]


def notifications(
    conn: psycopg.Connection,
    outbox_ids: Sequence[int] = (),
    *,
    audiences: Sequence[str] = (),
    after: int | None = None,
) -> list[tuple[int, str, dict[str, Any]]]:
    """Outbox entries by id, or those for `audiences` after an id (a stream's replay)."""
    if after is None:
        rows = conn.execute(
            "SELECT id, audience, payload FROM notification_outbox WHERE id = ANY(%s) ORDER BY id",
            (list(outbox_ids),),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT id, audience, payload FROM notification_outbox"
            " WHERE audience = ANY(%s) AND id > %s ORDER BY id LIMIT %s",
            (list(audiences), after, REPLAY_PAGE),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
