"""Rules the clock decides: silent containers, offline dispensers, silent home hubs, a ward's
hand-hygiene compliance below its target for the day, and scheduled measurements and
questionnaires a patient missed."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.clinical.schedule import CARE_TIMEZONE, DailySchedule, due_times, missed_slots
from tilsyn.platform.hygiene.compliance import Rate, WardPeriod, below_target
from tilsyn.platform.hygiene.dispensers import DISPENSER_RULES
from tilsyn.platform.patients import hub_watch

log = logging.getLogger(__name__)

LOCAL_ZONE = ZoneInfo(CARE_TIMEZONE)
# Two days always hold the latest slot that has passed, a 25-hour autumn day and the grace
# period included.
MISSED_LOOKBACK = timedelta(hours=48)

SILENT_AFTER_INTERVALS = 3


def silent_containers(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    rows = conn.execute(
        """SELECT c.container_id, l.time, c.reporting_interval_s, c.registered_at
           FROM containers c LEFT JOIN container_latest l USING (container_id)"""
    ).fetchall()
    signals = []
    for container_id, last, interval, registered in rows:
        # A sensor that never reported is as silent as one that stopped: counted from when
        # it was registered (a wrong key or a dead battery at installation).
        since = last or registered
        silent = (now - since).total_seconds() > SILENT_AFTER_INTERVALS * interval
        if not silent:
            title = "reporting again"
        elif last is None:
            title = f"Container {container_id} has not reported since it was registered"
        else:
            title = f"Container {container_id} silent since {last:%Y-%m-%d %H:%M} UTC"
        signals.append(
            Signal(
                "container",
                container_id,
                "silent",
                silent,
                now,
                "warning",
                "operator",
                "",
                title,
                {"last_reading": last.isoformat() if last else None},
            )
        )
    return signals


def offline_dispensers(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    rows = conn.execute(
        """SELECT d.dev_eui, d.ward_id, d.dispenser_id, d.reporting_interval_s, last.time,
                  v.registered_at
           FROM dispensers d JOIN devices v ON v.device_id = d.dev_eui
           LEFT JOIN LATERAL (
               SELECT time FROM dispenser_status s WHERE s.dev_eui = d.dev_eui
               ORDER BY time DESC LIMIT 1) last ON true"""
    ).fetchall()
    signals = []
    for dev_eui, ward_id, dispenser_id, interval, last, registered in rows:
        # Never reported counts from registration, as the hygiene screen shows it offline.
        offline = DISPENSER_RULES.offline((now - (last or registered)).total_seconds(), interval)
        signals.append(
            Signal(
                "dispenser",
                dev_eui,
                "dispenser_offline",
                offline,
                now,
                "warning",
                "infection_control",
                ward_id,
                f"Dispenser {ward_id}/{dispenser_id} offline" if offline else "reporting again",
                {"last_report": last.isoformat() if last else None},
            )
        )
    return signals


def silent_hubs(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    """A home hub without a health report for `hub_watch.SILENT_AFTER`: its patients'
    measurements wait on it, red ones included. The alert names the hub, never the patients
    (webhooks carry hub alerts whole); the home-care screen's hub list says whom it serves."""
    rows = conn.execute(
        """SELECT h.hub_id, h.unit, v.registered_at, last.time
           FROM hubs h JOIN devices v ON v.device_id = h.hub_id
           LEFT JOIN LATERAL (
               SELECT time FROM hub_health x WHERE x.hub_id = h.hub_id
               ORDER BY time DESC LIMIT 1) last ON true"""
    ).fetchall()
    signals = []
    for hub_id, unit, registered, last in rows:
        silent = hub_watch.silent(hub_watch.HubState(registered, last), now)
        if not silent:
            title = "reporting again"
        elif last is None:
            title = f"Hub {hub_id} has not reported since it was registered"
        else:
            since = hub_watch.local_time(last)
            title = f"Hub {hub_id} silent since {since}: its patients' measurements wait on it"
        signals.append(
            Signal(
                "hub",
                hub_id,
                "hub_silent",
                silent,
                now,
                "warning",
                "home_care",
                unit,
                title,
                {"last_report": last.isoformat() if last else None},
            )
        )
    return signals


def ward_compliance(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    """Each ward's compliance against its target, one alert per ward and day (too few
    opportunities: no verdict). Today's may be raised or cleared; yesterday's may only be
    cleared, by badge events that came late and lift it. A finished day below target is a
    fact: its alert stays until someone resolves it, and is not raised again once resolved."""
    today = now.astimezone(LOCAL_ZONE).date()
    days = (today - timedelta(days=1), today)
    rows = conn.execute(
        """SELECT w.ward_id, w.compliance_target, d.day, coalesce(sum(c.opportunities), 0),
                  coalesce(sum(c.met), 0)
           FROM wards w CROSS JOIN unnest(%s::date[]) AS d (day)
                LEFT JOIN hygiene_compliance_daily c ON c.ward_id = w.ward_id AND c.day = d.day
           GROUP BY w.ward_id, w.compliance_target, d.day""",
        (list(days),),
    ).fetchall()
    targets = {r[0]: r[1] for r in rows}
    rates = {WardPeriod(r[0], r[2].isoformat()): Rate(int(r[3]), int(r[4])) for r in rows}
    below = {
        (f.ward, f.period): f for f in below_target(rates, targets) if f.verdict == "below target"
    }
    # The title is written when the alert is raised, so it says when it was judged.
    judged_at = f"{now.astimezone(LOCAL_ZONE):%H:%M}"
    signals = []
    for where in rates:
        finding = below.get((where.ward, where.period))
        if finding is not None and where.period != today.isoformat():
            continue
        signals.append(
            Signal(
                "ward_day",
                f"{where.ward}/{where.period}",
                "compliance_below_target",
                finding is not None,
                now,
                "warning",
                "infection_control",
                where.ward,
                f"{finding.reason} (so far, at {judged_at})"
                if finding
                else f"{where.period}: not below target",
                {"ward": where.ward, "day": where.period},
            )
        )
    return signals


def missed_tasks(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    """A scheduled measurement not taken, or questionnaire not answered, in its window, per
    patient and task."""
    schedules = conn.execute(
        """SELECT s.patient_id, s.kind, s.questionnaire, s.times, s.timezone, s.weekdays,
                  s.since, p.unit
           FROM patient_schedules s JOIN patients p USING (patient_id)"""
    ).fetchall()
    signals = []
    for patient_id, kind, questionnaire, times, zone, weekdays, since, unit in schedules:
        try:
            schedule = DailySchedule(
                kind=kind,
                questionnaire=questionnaire,
                timezone=zone,
                times=tuple(time.fromisoformat(t) for t in times),
                weekdays=weekdays,
            )
        except ValueError as error:
            # Written past the API (which checks each task): one bad row must not stop the
            # others' warnings. Logged without the patient, the log is not a health record.
            log.error("a schedule row cannot be read, skipped: %s", error)
            continue
        # Far enough back to hold the latest due slot: a Monday-only task's is up to a week old;
        # not before the task was set.
        start = now - max(MISSED_LOOKBACK, schedule.longest_gap + timedelta(days=1))
        if since is not None:
            start = max(start, since)
        done = _done_times(conn, patient_id, schedule, start - schedule.opens_before, now)
        missed = missed_slots(schedule, done, start, now)
        # Up while the latest slot that has passed was missed and nothing was done since:
        # doing it clears it, not the clock moving yesterday's slot out of the window.
        latest = max(due_times(schedule, start, now), default=None)
        active = (
            bool(missed)
            and latest is not None
            and missed[-1].deadline == latest + schedule.grace
            and not any(at > missed[-1].deadline for at in done)
        )
        signals.append(
            Signal(
                "patient",
                patient_id,
                f"missed:{schedule.task}",
                active,
                now,
                "warning",
                "home_care",
                unit,
                missed[-1].reason if active else f"{schedule.done} as planned",
                {"missed": len(missed)},
            )
        )
    scheduled = {(r[0], f"missed:{r[1] or f'questionnaire:{r[2]}'}") for r in schedules}
    return signals + _unscheduled(conn, scheduled, now)


def _unscheduled(
    conn: psycopg.Connection, scheduled: set[tuple[str, str]], now: datetime
) -> list[Signal]:
    """Clears the open missed-task warnings of tasks taken off the schedule: no slot of theirs
    is judged any more, so nothing else would."""
    rows = conn.execute(
        "SELECT entity_id, rule, unit FROM alerts"
        " WHERE entity_type = 'patient' AND rule LIKE 'missed:%%' AND state <> 'resolved'"
    ).fetchall()
    return [
        Signal(
            "patient",
            patient_id,
            rule,
            False,
            now,
            "warning",
            "home_care",
            unit,
            "no longer scheduled",
        )
        for patient_id, rule, unit in rows
        if (patient_id, rule) not in scheduled
    ]


def _done_times(
    conn: psycopg.Connection,
    patient_id: str,
    schedule: DailySchedule,
    since: datetime,
    now: datetime,
) -> list[datetime]:
    """When the patient measured the kind, or answered the questionnaire, from `since`."""
    what: str | None
    if schedule.kind is not None:
        query = (
            "SELECT time FROM vital_observations WHERE patient_id = %s AND kind = %s"
            " AND time >= %s AND time <= %s"
        )
        what = schedule.kind
    else:
        query = (
            "SELECT time FROM questionnaire_answers WHERE patient_id = %s"
            " AND questionnaire = %s AND time >= %s AND time <= %s"
        )
        what = schedule.questionnaire
    return [row[0] for row in conn.execute(query, (patient_id, what, since, now))]
