"""Each home hub's configuration, pushed by the platform: the measurement schedule, the
thresholds and the plan's instructions of every patient the hub serves (docs/edge.md,
"Configuration from the platform").

The agent prompts at the schedule's times and, while offline, colours a reading against the
thresholds to show the plan's instruction. A nurse's change reaches the hub within a push
round: `ConfigPusher` compares each hub's configuration with the one last pushed (by digest)
and publishes a changed one retained, QoS 1, so a hub offline now gets it on reconnecting; an
unchanged one is published again every hour, in case the broker lost it. The
version only grows (at least the push time in milliseconds), so a hub never takes an older
one for newer, even after the database was restored from a backup.

A hub no longer registered has its retained configuration cleared (an empty retained
message), decided from `hub_config_pushed`, which outlives the hub. A configuration too big
for a broker packet is not sent; `hub_config_unsent` says so to `/api/hubs/health`, which
also compares the version pushed with the one the hub reports applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import psycopg
from pydantic import ValidationError

from tilsyn.edge.config import PatientConfig
from tilsyn.edge.readings import ReadingKind
from tilsyn.mqtt import MqttConnection

log = logging.getLogger(__name__)

# The agent names blood pressure as one reading; the platform schedules it by its systolic
# (or diastolic) value.
EDGE_KIND = {"systolic_bp": "blood_pressure", "diastolic_bp": "blood_pressure"}
EDGE_KINDS: tuple[str, ...] = get_args(ReadingKind)
PUSH_TIMEOUT_S = 10.0
# A retained message the broker lost (a crash before its save, a new volume) would otherwise
# never come again: each configuration is published anew this often, same version, which a
# hub that has it ignores.
REPUBLISH_AFTER = timedelta(hours=1)
# Below the broker's packet limit (broker/config.py, 256 KiB) with room for the topic: a
# bigger publish would get the connection closed and be resent on every reconnect, holding
# up every other hub's push.
MAX_CONFIG_BYTES = 250_000


def config_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/config"


def hub_patients_config(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Every registered hub's `patients` part: schedule and thresholds per patient served."""
    configs: dict[str, dict[str, Any]] = {
        hub_id: {} for (hub_id,) in conn.execute("SELECT hub_id FROM hubs")
    }
    served = conn.execute("SELECT hub_id, patient_id FROM hub_patients").fetchall()
    schedules: dict[str, dict[str, list[str]]] = {}
    weekdays: dict[str, dict[str, set[int] | None]] = {}
    # The hub prompts for measurements; the patient's app prompts for questionnaires (and
    # leaves the answers in the agent's inbox, edge/answers.py).
    for patient_id, kind, times, days in conn.execute(
        "SELECT patient_id, kind, times, weekdays FROM patient_schedules"
        " WHERE kind IS NOT NULL ORDER BY patient_id, kind"
    ):
        edge_kind: str = EDGE_KIND.get(kind) or kind
        merged = set(schedules.setdefault(patient_id, {}).get(edge_kind, [])) | set(times)
        schedules[patient_id][edge_kind] = sorted(merged)
        # Two tasks on one edge kind (systolic and diastolic): due on either's days, every
        # day if either is daily.
        known = weekdays.setdefault(patient_id, {})
        before = known.get(edge_kind, set())
        known[edge_kind] = None if days is None or before is None else before | set(days)
    thresholds: dict[str, dict[str, dict[str, float | None]]] = {}
    for patient_id, kind, *limits in conn.execute(
        "SELECT patient_id, kind, green_low, green_high, yellow_low, yellow_high"
        " FROM patient_thresholds ORDER BY patient_id, kind"
    ):
        names = ("green_low", "green_high", "yellow_low", "yellow_high")
        thresholds.setdefault(patient_id, {})[kind] = dict(zip(names, limits, strict=True))
    instructions = {
        patient_id: {"red": red, "yellow": yellow}
        for patient_id, red, yellow in conn.execute(
            "SELECT patient_id, red, yellow FROM patient_instructions"
        )
    }
    for hub_id, patient_id in served:
        entry: dict[str, Any] = {
            "schedule": whole_schedule(schedules.get(patient_id, {})),
            "thresholds": thresholds.get(patient_id, {}),
            "instructions": instructions.get(patient_id, {"red": "", "yellow": ""}),
        }
        # Only kinds due on some weekdays, and only when there are any: the agent takes a kind
        # left out as due every day, and an agent from before weekdays still takes a config
        # that uses none.
        some_days = {k: sorted(d) for k, d in weekdays.get(patient_id, {}).items() if d}
        if some_days:
            entry["weekdays"] = some_days
        try:
            PatientConfig.model_validate(entry)  # the agent refuses a config whole
        except ValidationError as error:
            # A row written past the API; the hub's other patients must not pay for it. Where,
            # not what: the log is not a health record.
            fields = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
            log.error("hub %s: a patient's settings left out, invalid %s", hub_id, fields)
            continue
        configs[hub_id][patient_id] = entry
    return configs


def whole_schedule(scheduled: dict[str, list[str]]) -> dict[str, list[str]]:
    """A patient with a schedule on the platform is prompted for it alone: every other kind goes
    with no times, since the agent keeps its devices' default times for a kind left out, and a
    task a nurse stopped would be prompted again. With no schedule at all the hub keeps its own
    (a patient registered without a plan)."""
    if not scheduled:
        return {}
    return {kind: scheduled.get(kind, []) for kind in EDGE_KINDS}


def digest(patients: dict[str, Any]) -> str:
    canonical = json.dumps(patients, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ConfigPusher:
    """Pushes what changed, hub by hub; a hub whose push the broker did not acknowledge is
    tried again the next round (nothing is recorded for it). A configuration too big to send
    is recorded in `hub_config_unsent` (shown with the hub's health) and logged once per
    change; the retained configuration of a hub no longer registered is cleared."""

    def __init__(
        self,
        database_url: str,
        mqtt: MqttConnection,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._database_url = database_url
        self._mqtt = mqtt
        self._clock_ms = clock_ms

    def push_changed(self) -> list[str]:
        """Push every hub whose configuration differs from the one last pushed, or was pushed
        longer than `REPUBLISH_AFTER` ago, and clear removed hubs'; returns the hubs pushed."""
        if not self._mqtt.connected:  # said once a round, not once a hub
            log.warning("hub configurations not pushed: no broker connection")
            return []
        pushed = []
        now = datetime.now(UTC)
        with psycopg.connect(self._database_url) as conn:
            last = {
                hub_id: (version, known, at)
                for hub_id, version, known, at in conn.execute(
                    "SELECT hub_id, version, digest, pushed_at FROM hub_config_pushed"
                )
            }
            unsent: dict[str, str] = dict(
                conn.execute("SELECT hub_id, digest FROM hub_config_unsent").fetchall()
            )
            configs = hub_patients_config(conn)
            for hub_id, patients in configs.items():
                content = digest(patients)
                previous, known, at = last.get(hub_id, (0, None, now))
                if content == known and now - at < REPUBLISH_AFTER:
                    if hub_id in unsent:  # changed back to what the hub has
                        self._forget_unsent(conn, hub_id)
                    continue
                # The same content keeps its version; a change gets a greater one.
                version = previous if content == known else max(previous + 1, self._clock_ms())
                config = {"version": version, "patients": patients}
                body = json.dumps(config, separators=(",", ":")).encode()
                if len(body) > MAX_CONFIG_BYTES:
                    if unsent.get(hub_id) != content:  # once per change, not every round
                        self._too_big(conn, hub_id, content, len(body))
                    continue
                if self._publish(hub_id, body):
                    self._record(conn, hub_id, version, content)
                    pushed.append(hub_id)
            # From the database, not from memory: a restart forgets no removed hub.
            for hub_id in sorted(last.keys() - configs.keys()):
                self._clear(conn, hub_id)
        return pushed

    def _publish(self, hub_id: str, body: bytes) -> bool:
        try:
            acked = self._mqtt.publish(
                config_topic(hub_id), body, qos=1, retain=True, wait=True, timeout=PUSH_TIMEOUT_S
            )
        except (ConnectionError, RuntimeError) as error:  # RuntimeError: lost while waiting
            log.warning("config for hub %s not published: %s", hub_id, error)
            return False
        if not acked:
            log.warning("config for hub %s not acknowledged by the broker", hub_id)
        return acked

    def _clear(self, conn: psycopg.Connection, hub_id: str) -> None:
        """An empty retained message deletes the retained one: a removed hub's patients'
        settings must not stay on the broker, nor reach a hub registered later under its id.
        Tried again each round until the broker acknowledges it."""
        if self._publish(hub_id, b""):
            conn.execute("DELETE FROM hub_config_pushed WHERE hub_id = %s", (hub_id,))
            conn.commit()
            log.info("retained config of hub %s cleared: the hub is no longer registered", hub_id)

    @staticmethod
    def _too_big(conn: psycopg.Connection, hub_id: str, content: str, size: int) -> None:
        reason = (
            f"{size} bytes, more than the {MAX_CONFIG_BYTES} a broker packet takes"
            " (too many patients or instructions on one hub)"
        )
        log.error("config for hub %s not pushed: %s", hub_id, reason)
        conn.execute(
            "INSERT INTO hub_config_unsent (hub_id, digest, reason, since)"
            " VALUES (%s, %s, %s, now()) ON CONFLICT (hub_id) DO UPDATE SET"
            " digest = EXCLUDED.digest, reason = EXCLUDED.reason, since = EXCLUDED.since",
            (hub_id, content, reason),
        )
        conn.commit()

    @staticmethod
    def _forget_unsent(conn: psycopg.Connection, hub_id: str) -> None:
        if conn.execute("DELETE FROM hub_config_unsent WHERE hub_id = %s", (hub_id,)).rowcount:
            log.info("hub %s no longer has a config too big to send", hub_id)
        conn.commit()

    @staticmethod
    def _record(conn: psycopg.Connection, hub_id: str, version: int, content: str) -> None:
        now = datetime.now(UTC)
        # `version_pushed_at` stays put when the same version is published again: a hub that
        # has not applied it is behind since then, not since the last republish.
        conn.execute(
            "INSERT INTO hub_config_pushed AS p (hub_id, version, digest, pushed_at,"
            " version_pushed_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (hub_id) DO UPDATE SET"
            " version = EXCLUDED.version, digest = EXCLUDED.digest, pushed_at = EXCLUDED.pushed_at,"
            " version_pushed_at = CASE WHEN p.version = EXCLUDED.version"
            " THEN p.version_pushed_at ELSE EXCLUDED.pushed_at END",
            (hub_id, version, content, now, now),
        )
        ConfigPusher._forget_unsent(conn, hub_id)  # commits both
