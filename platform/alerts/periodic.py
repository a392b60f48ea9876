"""Rules the clock decides: silent containers and offline dispensers."""

from __future__ import annotations

from datetime import datetime

import psycopg

from tilsyn.platform.alerts.models import Signal

SILENT_AFTER_INTERVALS = 3


def silent_containers(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    rows = conn.execute(
        """SELECT c.container_id, l.time, c.reporting_interval_s
           FROM containers c LEFT JOIN container_latest l USING (container_id)"""
    ).fetchall()
    signals = []
    for container_id, last, interval in rows:
        if last is None:
            continue  # never reported: nothing to compare with yet
        silent = (now - last).total_seconds() > SILENT_AFTER_INTERVALS * interval
        title = (
            f"Container {container_id} silent since {last:%Y-%m-%d %H:%M} UTC"
            if silent
            else "reporting again"
        )
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
                {"last_reading": last.isoformat()},
            )
        )
    return signals


def offline_dispensers(conn: psycopg.Connection, now: datetime) -> list[Signal]:
    rows = conn.execute(
        """SELECT d.dev_eui, d.ward_id, d.dispenser_id, d.reporting_interval_s, last.time
           FROM dispensers d LEFT JOIN LATERAL (
               SELECT time FROM dispenser_status s WHERE s.dev_eui = d.dev_eui
               ORDER BY time DESC LIMIT 1) last ON true"""
    ).fetchall()
    signals = []
    for dev_eui, ward_id, dispenser_id, interval, last in rows:
        if last is None:
            continue
        offline = (now - last).total_seconds() > SILENT_AFTER_INTERVALS * interval
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
                {"last_report": last.isoformat()},
            )
        )
    return signals
