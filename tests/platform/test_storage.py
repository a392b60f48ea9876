"""Time-series storage: rollups agree with raw data, and retention differs by data class;
ingest's bookkeeping is trimmed too, in batches.

These run unchanged on plain PostgreSQL and on TimescaleDB (TILSYN_TEST_DATABASE_URL).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from lorawan import chirpstack_uplink
from psycopg import sql
from pydantic import ValidationError
from registry_seed import register_medical_3

from tilsyn.platform.config import Settings
from tilsyn.platform.db.maintenance import (
    BOOKKEEPING,
    MaintenanceRunner,
    Retention,
    run_maintenance,
)
from tilsyn.platform.db.migrate import current_backend
from tilsyn.platform.registry.models import BadgeIn
from tilsyn.platform.registry.store import register_badge

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _insert_reading(conn: psycopg.Connection, at: datetime, container: str, fill: float) -> None:
    conn.execute(
        "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
        " VALUES (%s, %s, '0000000000000001', %s)",
        (at, container, fill),
    )


def test_hourly_fill_rollup_matches_the_raw_readings(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for minute, fill in [(5, 10.0), (20, 30.0), (65, 50.0), (70, 70.0), (130, 90.0)]:
            _insert_reading(conn, NOW + timedelta(minutes=minute), "A", fill)
        _insert_reading(conn, NOW + timedelta(minutes=10), "B", 40.0)
        conn.commit()
        rollup = conn.execute(
            "SELECT container_id, bucket, readings, fill_avg, fill_min, fill_max"
            " FROM container_fill_hourly ORDER BY 1, 2"
        ).fetchall()
    hour = timedelta(hours=1)
    assert rollup == [
        ("A", NOW, 2, 20.0, 10.0, 30.0),
        ("A", NOW + hour, 2, 60.0, 50.0, 70.0),
        ("A", NOW + 2 * hour, 1, 90.0, 90.0, 90.0),
        ("B", NOW, 1, 40.0, 40.0, 40.0),
    ]


def test_daily_vitals_rollup(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for hours, value in [(0, 140.0), (3, 150.0), (30, 120.0)]:
            conn.execute(
                "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
                " VALUES (%s, 'P1', 'systolic_bp', %s, 'mm[Hg]', 'hub-1')",
                (NOW + timedelta(hours=hours), value),
            )
        conn.commit()
        rows = conn.execute(
            "SELECT bucket, readings, value_avg, value_min, value_max FROM vitals_daily"
            " WHERE patient_id = 'P1' ORDER BY bucket"
        ).fetchall()
    day = NOW.replace(hour=0)
    assert rows == [
        (day, 2, 145.0, 140.0, 150.0),
        (day + timedelta(days=1), 1, 120.0, 120.0, 120.0),
    ]


def test_retention_drops_old_city_data_but_keeps_health_data(database_url: str) -> None:
    old, recent = NOW - timedelta(days=500), NOW - timedelta(days=10)
    with psycopg.connect(database_url) as conn:
        if current_backend(conn) == "postgres":
            conn.execute(
                "SELECT tilsyn_ensure_month_partition('container_readings', %s)", (old.date(),)
            )
        _insert_reading(conn, old, "A", 10.0)
        _insert_reading(conn, recent, "A", 20.0)
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', 'heart_rate', 72, '/min', 'hub-1')",
            (old,),
        )
        conn.commit()
        report = run_maintenance(
            conn, Retention(city_days=400, health_days=3650, hygiene_days=730), now=NOW
        )
        readings = conn.execute("SELECT time FROM container_readings ORDER BY 1").fetchall()
        vitals = conn.execute("SELECT count(*) FROM vital_observations").fetchone()
    assert readings == [(recent,)]
    assert vitals == (1,)
    assert report.partitions_dropped or report.chunks_dropped


def test_maintenance_makes_partitions_ahead(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        if current_backend(conn) == "timescaledb":
            pytest.skip("TimescaleDB creates chunks on insert")
        far = datetime(2030, 3, 15, tzinfo=UTC)
        run_maintenance(conn, Retention(400, 3650, 730), now=far)
        names = {
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'vital_observations'::regclass"
            )
        }
    assert {
        "vital_observations_203003",
        "vital_observations_203004",
        "vital_observations_203005",
    } <= names


def test_rollup_refresh_reaches_back_to_the_day_before_retention(database_url: str) -> None:
    """TimescaleDB: a late row (a hub offline for days) enters a continuous aggregate only if
    a refresh window covers it; a window past retention would empty dropped buckets."""
    with psycopg.connect(database_url) as conn:
        if current_backend(conn) != "timescaledb":
            pytest.skip("PostgreSQL's rollups are kept by triggers, late rows included")
        report = run_maintenance(conn, Retention(90, 3650, 730), now=NOW)
        windows = dict(
            conn.execute(
                """SELECT c.view_name, (j.config->>'start_offset')::interval
                   FROM timescaledb_information.continuous_aggregates c
                   JOIN timescaledb_information.jobs j
                     ON j.hypertable_name = c.materialization_hypertable_name
                   WHERE j.proc_name = 'policy_refresh_continuous_aggregate'"""
            ).fetchall()
        )
        again = run_maintenance(conn, Retention(90, 3650, 730), now=NOW)
    assert windows == {
        "container_fill_hourly": timedelta(days=89),
        "container_fill_daily": timedelta(days=89),
        "vitals_daily": timedelta(days=3649),
        "hygiene_compliance_daily_by_bucket": timedelta(days=729),
    }
    assert len(report.refresh_windows_set) == 4 and again.refresh_windows_set == []


@pytest.mark.parametrize(
    "field",
    [
        "retention_city_days",
        "retention_health_days",
        "retention_quarantine_days",
        "retention_dead_letters_days",
        "retention_ingest_keys_days",
    ],
)
def test_a_retention_shorter_than_a_week_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 7"):
        Settings(**{field: 3})


def _set_aside(conn: psycopg.Connection, table: str, at: datetime, n: int = 1) -> None:
    """`n` rows of a bookkeeping table, received at `at`."""
    if table == "ingest_keys":
        conn.execute(
            "INSERT INTO ingest_keys (key, seen_at)"
            " SELECT 'k-' || gen_random_uuid(), %s FROM generate_series(1, %s)",
            (at, n),
        )
    else:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (received_at, topic, reason, payload)"
                " SELECT %s, 't', 'r', '\\x00' FROM generate_series(1, %s)"
            ).format(sql.Identifier(table)),
            (at, n),
        )


def _ages(conn: psycopg.Connection, table: str) -> list[int]:
    """The age in days, at NOW, of each row left in a bookkeeping table."""
    query = sql.SQL("SELECT {} FROM {} ORDER BY 1 DESC").format(
        sql.Identifier(BOOKKEEPING[table]), sql.Identifier(table)
    )
    return [(NOW - row[0]).days for row in conn.execute(query)]


def test_retention_trims_each_bookkeeping_table_by_its_own_days(database_url: str) -> None:
    retention = Retention(
        400, 3650, 730, quarantine_days=30, dead_letters_days=60, ingest_keys_days=90
    )
    with psycopg.connect(database_url) as conn:
        for table in BOOKKEEPING:
            for days in (10, 50, 80, 120):
                _set_aside(conn, table, NOW - timedelta(days=days))
        conn.commit()
        report = run_maintenance(conn, retention, now=NOW)
        left = {table: _ages(conn, table) for table in BOOKKEEPING}
    assert left == {"quarantine": [10], "dead_letters": [10, 50], "ingest_keys": [10, 50, 80]}
    assert report.rows_deleted == {"quarantine": 3, "dead_letters": 2, "ingest_keys": 1}


def test_bookkeeping_is_kept_as_long_as_the_longest_raw_retention_by_default(
    database_url: str,
) -> None:
    """An uplink waiting for its device to be registered outlives no raw data it would feed."""
    with psycopg.connect(database_url) as conn:
        for table in BOOKKEEPING:
            for days in (500, 3000, 3700):
                _set_aside(conn, table, NOW - timedelta(days=days))
        conn.commit()
        report = run_maintenance(conn, Retention(400, 3650, 730), now=NOW)
        left = {table: _ages(conn, table) for table in BOOKKEEPING}
    assert left == {table: [500, 3000] for table in BOOKKEEPING}
    assert report.rows_deleted == dict.fromkeys(BOOKKEEPING, 1)
    # What the runtime passes when the setting is unset.
    assert Settings.model_fields["retention_quarantine_days"].default is None


def test_a_bookkeeping_backlog_is_deleted_in_transactions_of_one_batch(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        # Which transaction deleted each row.
        conn.execute("CREATE TABLE deleted_in (txid bigint)")
        conn.execute(
            """CREATE FUNCTION note_txid() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN INSERT INTO deleted_in VALUES (txid_current()); RETURN OLD; END $$"""
        )
        conn.execute(
            "CREATE TRIGGER note AFTER DELETE ON dead_letters"
            " FOR EACH ROW EXECUTE FUNCTION note_txid()"
        )
        _set_aside(conn, "dead_letters", NOW - timedelta(days=40), n=25)
        _set_aside(conn, "dead_letters", NOW - timedelta(days=20), n=2)
        conn.commit()
        retention = Retention(400, 3650, 730, dead_letters_days=30)
        report = run_maintenance(conn, retention, now=NOW, batch_size=10)
        batches = conn.execute(
            "SELECT count(*) FROM deleted_in GROUP BY txid ORDER BY 1 DESC"
        ).fetchall()
        left = _ages(conn, "dead_letters")
    assert [row[0] for row in batches] == [10, 10, 5]
    assert left == [20, 20]
    assert report.rows_deleted["dead_letters"] == 25


def test_every_bookkeeping_table_has_an_index_on_its_time_column(database_url: str) -> None:
    """Each batch finds the oldest rows by this index, not by reading the table."""
    with psycopg.connect(database_url) as conn:
        indexed = {
            (table, column)
            for table, column in conn.execute(
                """SELECT t.relname, a.attname FROM pg_index i
                   JOIN pg_class t ON t.oid = i.indrelid
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"""
            )
        }
    assert set(BOOKKEEPING.items()) <= indexed


def test_maintenance_logs_the_rows_it_deleted(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with psycopg.connect(database_url) as conn:
        _set_aside(conn, "quarantine", datetime.now(UTC) - timedelta(days=20), n=3)
        _set_aside(conn, "quarantine", datetime.now(UTC) - timedelta(days=5))
        conn.commit()
    runner = MaintenanceRunner(database_url, Retention(400, 3650, 730, quarantine_days=10))
    with caplog.at_level(logging.INFO, logger="tilsyn.platform.db.maintenance"):
        runner.run_once()
    reports = [r.getMessage() for r in caplog.records if "MaintenanceReport" in r.getMessage()]
    assert len(reports) == 1
    assert "'quarantine': 3, 'dead_letters': 0, 'ingest_keys': 0" in reports[0]


def test_patients_daily_rollups_go_with_their_readings(database_url: str) -> None:
    """Raw measurements went after the health retention, their daily summaries per patient
    stayed for good: health data past its retention all the same."""
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=10)
    with psycopg.connect(database_url) as conn:
        for at, value in ((old, 72), (recent, 75)):
            conn.execute(
                "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
                " VALUES (%s, 'P1', 'heart_rate', %s, '/min', 'hub-1')",
                (at, value),
            )
        conn.commit()
        if current_backend(conn) == "timescaledb":  # a refresh runs outside a transaction
            with psycopg.connect(database_url, autocommit=True) as refresh:
                refresh.execute("CALL refresh_continuous_aggregate('vitals_daily', NULL, NULL)")
        report = run_maintenance(
            conn, Retention(city_days=400, health_days=30, hygiene_days=730), now=NOW
        )
        days = conn.execute("SELECT bucket FROM vitals_daily ORDER BY 1").fetchall()
    assert [d[0].date() for d in days] == [recent.date()]
    assert report.patient_rollup_removed >= 1


def _notify(conn: psycopg.Connection, at: datetime, delivered: bool | None) -> int:
    """An outbox entry made at `at`; with a webhook delivery (taken or not) unless None."""
    (alert_id,) = conn.execute(
        "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
        " first_at, last_at) VALUES ('container', 'C1', 'fill', 'warning', 'resolved',"
        " 'operator', 'Full', %s, %s) RETURNING alert_id",
        (at, at),
    ).fetchone() or (0,)
    (outbox_id,) = conn.execute(
        "INSERT INTO notification_outbox (created_at, alert_id, audience, event, payload)"
        " VALUES (%s, %s, 'operator', 'raised', '{}') RETURNING id",
        (at, alert_id),
    ).fetchone() or (0,)
    if delivered is not None:
        webhook = conn.execute("SELECT webhook_id FROM webhooks").fetchone()
        if webhook is None:
            webhook = conn.execute(
                "INSERT INTO webhooks (url, secret, audiences)"
                " VALUES ('https://pager.example', 's', '{operator}') RETURNING webhook_id"
            ).fetchone()
        assert webhook is not None
        conn.execute(
            "INSERT INTO webhook_deliveries (outbox_id, webhook_id, delivered_at)"
            " VALUES (%s, %s, %s)",
            (outbox_id, webhook[0], at if delivered else None),
        )
    return outbox_id


def test_old_notifications_go_but_one_a_webhook_has_not_taken_stays(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        old_unsent = _notify(conn, NOW - timedelta(days=200), delivered=False)
        _notify(conn, NOW - timedelta(days=120), delivered=True)
        _notify(conn, NOW - timedelta(days=100), delivered=None)
        recent = _notify(conn, NOW - timedelta(days=10), delivered=True)
        conn.commit()
        report = run_maintenance(
            conn, Retention(400, 3650, 730, notifications_days=90), now=NOW, batch_size=1
        )
        left = [r[0] for r in conn.execute("SELECT id FROM notification_outbox ORDER BY id")]
        deliveries = [
            r[0] for r in conn.execute("SELECT outbox_id FROM webhook_deliveries ORDER BY 1")
        ]
        alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()
    assert left == [old_unsent, recent]
    assert deliveries == [old_unsent, recent]
    assert report.notifications_deleted == 2
    assert alerts == (4,)  # the alerts themselves are kept


def test_expired_sessions_are_deleted(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO users (username, role, password_hash) VALUES ('kari', 'operator', 'x')"
        )
        for token, expires in (
            ("gone", NOW - timedelta(minutes=1)),
            ("live", NOW + timedelta(hours=1)),
        ):
            conn.execute(
                "INSERT INTO sessions (token_hash, username, expires_at) VALUES (%s, 'kari', %s)",
                (token, expires),
            )
        conn.commit()
        report = run_maintenance(conn, Retention(400, 3650, 730), now=NOW)
        left = conn.execute("SELECT token_hash FROM sessions").fetchall()
    assert left == [("live",)]
    assert report.sessions_deleted == 1


BADGE = "a0a0a0a0a0a0a0a1"  # registered before the messages are judged
LATE_BADGE = "a0a0a0a0a0a0a0a2"  # quarantined as unknown, registered as a badge later
CONTAINER = "c0c0c0c0c0c0c0c1"


def _set_aside_message(
    conn: psycopg.Connection, table: str, at: datetime, dev_eui: str, frame_hex: str
) -> None:
    topic, body = chirpstack_uplink(dev_eui, frame_hex)
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (received_at, topic, reason, payload{}) VALUES (%s, %s, 'r', %s{})"
        ).format(
            sql.Identifier(table),
            sql.SQL(", dev_eui" if table == "quarantine" else ""),
            sql.SQL(", %s" if table == "quarantine" else ""),
        ),
        (at, topic, body, *([dev_eui] if table == "quarantine" else [])),
    )


def test_badges_set_aside_messages_go_with_the_hand_hygiene_data(database_url: str) -> None:
    """A quarantined or dead-lettered badge's message holds a staff member's movements: it is
    kept no longer than hand-hygiene data (730 days here), where other set-aside messages are
    kept as long as the longest raw retention (3650)."""
    hygiene_frame = "0102" + "00" * 8  # tilsyn-hygiene-v1, badge events (cut short)
    old, recent = NOW - timedelta(days=800), NOW - timedelta(days=100)
    with psycopg.connect(database_url) as conn:
        register_medical_3(conn, "d0d0d0d0d0d0d0d1")
        register_badge(conn, BadgeIn(dev_eui=BADGE, ward_id="M3", role="nurse"))
        for table in ("quarantine", "dead_letters"):
            for at in (old, recent):
                _set_aside_message(conn, table, at, BADGE, "ff")  # the registry says badge
                _set_aside_message(conn, table, at, CONTAINER, hygiene_frame)  # the frame says
                _set_aside_message(conn, table, at, CONTAINER, "0400")  # neither: kept
        _set_aside_message(conn, "quarantine", old, LATE_BADGE, "ff")
        _set_aside(conn, "dead_letters", old)  # a hub's or unreadable: no device, kept
        conn.commit()
        retention = Retention(400, 3650, 730)
        first = run_maintenance(conn, retention, now=NOW)
        register_badge(conn, BadgeIn(dev_eui=LATE_BADGE, ward_id="M3", role="nurse"))
        conn.commit()
        second = run_maintenance(conn, retention, now=NOW)
        left = {
            table: sorted(
                ((NOW - at).days, _device(topic), hygiene)
                for at, topic, hygiene in conn.execute(
                    sql.SQL("SELECT received_at, topic, hygiene FROM {}").format(
                        sql.Identifier(table)
                    )
                )
            )
            for table in ("quarantine", "dead_letters")
        }
    kept_recent = [(100, BADGE, True), (100, CONTAINER, False), (100, CONTAINER, True)]
    assert left == {
        "quarantine": sorted([*kept_recent, (800, CONTAINER, False)]),
        "dead_letters": sorted([*kept_recent, (800, CONTAINER, False), (800, "", False)]),
    }
    assert first.hygiene_rows_deleted == {"quarantine": 2, "dead_letters": 2}
    assert second.hygiene_rows_deleted == {"quarantine": 1, "dead_letters": 0}
    assert first.rows_deleted["quarantine"] == 2, "counted with the table's other deletions"


def test_a_shorter_set_aside_retention_deletes_badges_messages_with_the_rest(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        _set_aside_message(conn, "quarantine", NOW - timedelta(days=40), BADGE, "0102")
        conn.commit()
        report = run_maintenance(conn, Retention(400, 3650, 730, quarantine_days=30), now=NOW)
        left = conn.execute("SELECT count(*) FROM quarantine").fetchone()
    assert left == (0,)
    assert report.rows_deleted["quarantine"] == 1
    assert report.hygiene_rows_deleted["quarantine"] == 0


def _device(topic: str) -> str:
    """The DevEUI a ChirpStack topic names, or ""."""
    parts = topic.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "device" else ""
