"""Container rows in the database: registration, changes on record, and the latest state for
the map and the API."""

from __future__ import annotations

import psycopg
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from tilsyn.platform.containers.models import (
    ContainerChange,
    ContainerEdit,
    ContainerIn,
    ContainerState,
    FieldChange,
    Reinstatement,
    RetiredContainer,
    changed_fields,
)


class AlreadyRegistered(ValueError):
    pass


class UnknownContainer(LookupError):
    pass


class DevEuiTaken(ValueError):
    pass


class InService(ValueError):
    pass


class AlreadyRetired(LookupError):
    def __init__(self, retired: RetiredContainer) -> None:
        super().__init__(retired.summary())
        self.retired = retired


def register_container(conn: psycopg.Connection, container: ContainerIn) -> None:
    """Register the sensor and its container together, or neither."""
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO devices (device_id, family, codec) VALUES (%s, 'container', %s)",
                (container.dev_eui, container.codec),
            )
            conn.execute(
                """INSERT INTO containers (container_id, dev_eui, waste_kind, capacity_litres,
                       empty_distance_mm, full_distance_mm, latitude, longitude, address,
                       reporting_interval_s)
                   VALUES (%(container_id)s, %(dev_eui)s, %(waste_kind)s, %(capacity_litres)s,
                       %(empty_distance_mm)s, %(full_distance_mm)s, %(latitude)s, %(longitude)s,
                       %(address)s, %(reporting_interval_s)s)""",
                container.model_dump(),
            )
    except psycopg.errors.UniqueViolation as error:
        if retired := get_retired(conn, container.container_id):
            raise AlreadyRegistered(
                f"{retired.summary()}; a container id is never used again"
            ) from error
        raise AlreadyRegistered(
            f"container {container.container_id} or device {container.dev_eui} is registered"
        ) from error


def change_container(
    conn: psycopg.Connection, container_id: str, edit: ContainerEdit, changed_by: str
) -> tuple[ContainerIn, ContainerIn]:
    """Apply `edit` and keep it on record (who, when, each field from what to what), together
    or not at all; returns the container before and after. Raises `UnknownContainer`,
    `pydantic.ValidationError` for a change that leaves no valid container, `DevEuiTaken`.

    A new `dev_eui` is a new sensor: it takes the old one's place in `devices`, so ingest
    takes the old sensor's uplinks from now on for an unknown device's (quarantine). Frame
    keys are per device (`ingest/outcomes.frame_key`): the new sensor's counter starts afresh.

    Readings stored stay as they are. Ingest computes `fill_percent` when a reading arrives,
    from the geometry (empty and full distance) the container has then, and stores it with
    the reading: a recalibration applies to readings from now on, and the latest fill shown
    is the one stored until the next reading arrives.
    """
    with conn.transaction():
        before = _locked_registration(conn, container_id)
        after = edit.applied_to(before)
        fields = changed_fields(before, after)
        if not fields:
            return before, after
        swapped = after.dev_eui != before.dev_eui
        if swapped:
            _add_sensor(conn, after)
        elif after.codec != before.codec:
            conn.execute(
                "UPDATE devices SET codec = %s WHERE device_id = %s", (after.codec, after.dev_eui)
            )
        _update_registration(conn, after)
        if swapped:
            conn.execute("DELETE FROM devices WHERE device_id = %s", (before.dev_eui,))
        _record(conn, container_id, changed_by, fields)
    return before, after


def retire_container(
    conn: psycopg.Connection, container_id: str, retired_by: str, reason: str
) -> RetiredContainer:
    """Take a container out of service, kept on record (`container_register`) with its
    readings and changes; the retirement is a change on record too. Its sensor is no longer a
    registered device: later uplinks from it go to quarantine, and it may be fitted to
    another container. Raises `UnknownContainer`, or `AlreadyRetired`."""
    with conn.transaction():
        before = _locked_registration(conn, container_id)
        conn.execute(
            """UPDATE container_register SET retired_dev_eui = dev_eui, dev_eui = NULL,
                   retired_codec = %s, retired_at = now(), retired_by = %s, retired_reason = %s
               WHERE container_id = %s""",
            (before.codec, retired_by, reason, container_id),
        )
        conn.execute("DELETE FROM devices WHERE device_id = %s", (before.dev_eui,))
        retirement = [
            FieldChange(field="dev_eui", old=before.dev_eui, new=None),
            FieldChange(field="retired", old=None, new=reason),
        ]
        _record(conn, container_id, retired_by, retirement)
        retired = get_retired(conn, container_id)
    assert retired is not None
    return retired


def reinstate_container(
    conn: psycopg.Connection, container_id: str, by: str, sensor: Reinstatement
) -> ContainerIn:
    """Put a retired container back in service (retired by mistake, or back on the street),
    with the sensor it had or the one given; on record among its changes. Raises
    `UnknownContainer`, `InService`, `pydantic.ValidationError` for a sensor that is no
    valid one, `DevEuiTaken` when the sensor is fitted to another container now."""
    with conn.transaction():
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                """SELECT container_id, waste_kind, capacity_litres, empty_distance_mm,
                          full_distance_mm, latitude, longitude, address, reporting_interval_s,
                          retired_at, retired_reason, retired_dev_eui, retired_codec
                   FROM container_register WHERE container_id = %s FOR UPDATE""",
                (container_id,),
            ).fetchone()
        if row is None:
            raise UnknownContainer(f"no container {container_id}")
        if row["retired_at"] is None:
            raise InService(f"container {container_id} is in service")
        container = ContainerIn.model_validate(
            {
                **{name: row[name] for name in ContainerIn.model_fields if name in row},
                "dev_eui": sensor.dev_eui or row["retired_dev_eui"],
                "codec": sensor.codec or row["retired_codec"],
            }
        )
        try:
            _add_sensor(conn, container)
        except DevEuiTaken as taken:
            raise DevEuiTaken(
                f"{taken}: fitted to another container since; give the sensor it has now"
            ) from None
        conn.execute(
            """UPDATE container_register SET dev_eui = %s, retired_at = NULL, retired_by = NULL,
                   retired_reason = NULL, retired_dev_eui = NULL, retired_codec = NULL
               WHERE container_id = %s""",
            (container.dev_eui, container_id),
        )
        back = [
            FieldChange(field="retired", old=row["retired_reason"], new=None),
            FieldChange(field="dev_eui", old=None, new=container.dev_eui),
        ]
        _record(conn, container_id, by, back)
    return container


_RETIRED_QUERY = """
    SELECT container_id, retired_dev_eui AS dev_eui, waste_kind, capacity_litres, latitude,
           longitude, address, registered_at, retired_at, retired_by, retired_reason AS reason
    FROM container_register WHERE retired_at IS NOT NULL
"""


def get_retired(conn: psycopg.Connection, container_id: str) -> RetiredContainer | None:
    with conn.cursor(row_factory=class_row(RetiredContainer)) as cur:
        return cur.execute(_RETIRED_QUERY + " AND container_id = %s", (container_id,)).fetchone()


def list_retired(conn: psycopg.Connection, limit: int) -> list[RetiredContainer]:
    """Retired containers, the latest retired first."""
    with conn.cursor(row_factory=class_row(RetiredContainer)) as cur:
        query = _RETIRED_QUERY + " ORDER BY retired_at DESC, container_id LIMIT %s"
        return cur.execute(query, (limit,)).fetchall()


def not_in_service(
    conn: psycopg.Connection, container_id: str
) -> UnknownContainer | AlreadyRetired:
    """Why no container in service has this id: it was retired, or never registered."""
    if retired := get_retired(conn, container_id):
        return AlreadyRetired(retired)
    return UnknownContainer(f"no container {container_id}")


def _locked_registration(conn: psycopg.Connection, container_id: str) -> ContainerIn:
    """The container as registered, locked against a concurrent change until commit."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """SELECT c.container_id, c.dev_eui, d.codec, c.waste_kind, c.capacity_litres,
                      c.empty_distance_mm, c.full_distance_mm, c.latitude, c.longitude,
                      c.address, c.reporting_interval_s
               FROM containers c JOIN devices d ON d.device_id = c.dev_eui
               WHERE c.container_id = %s
               FOR UPDATE OF c""",
            (container_id,),
        ).fetchone()
    if row is None:
        raise not_in_service(conn, container_id)
    return ContainerIn.model_validate(row)


def _add_sensor(conn: psycopg.Connection, container: ContainerIn) -> None:
    try:
        conn.execute(
            "INSERT INTO devices (device_id, family, codec) VALUES (%s, 'container', %s)",
            (container.dev_eui, container.codec),
        )
    except psycopg.errors.UniqueViolation as error:
        raise DevEuiTaken(f"device {container.dev_eui} is registered already") from error


def _update_registration(conn: psycopg.Connection, container: ContainerIn) -> None:
    conn.execute(
        """UPDATE containers SET dev_eui = %(dev_eui)s, waste_kind = %(waste_kind)s,
               capacity_litres = %(capacity_litres)s, empty_distance_mm = %(empty_distance_mm)s,
               full_distance_mm = %(full_distance_mm)s, latitude = %(latitude)s,
               longitude = %(longitude)s, address = %(address)s,
               reporting_interval_s = %(reporting_interval_s)s
           WHERE container_id = %(container_id)s""",
        container.model_dump(),
    )


def _record(
    conn: psycopg.Connection, container_id: str, changed_by: str, fields: list[FieldChange]
) -> None:
    conn.execute(
        "INSERT INTO container_changes (container_id, changed_by, changes) VALUES (%s, %s, %s)",
        (container_id, changed_by, Jsonb([field.model_dump() for field in fields])),
    )


def list_changes(conn: psycopg.Connection, container_id: str, limit: int) -> list[ContainerChange]:
    """The container's changes on record, the newest first."""
    with conn.cursor(row_factory=class_row(ContainerChange)) as cur:
        return cur.execute(
            """SELECT changed_at, changed_by, changes FROM container_changes
               WHERE container_id = %s ORDER BY changed_at DESC, change_id DESC LIMIT %s""",
            (container_id, limit),
        ).fetchall()


_STATE_QUERY = """
    SELECT c.container_id, c.dev_eui, c.waste_kind, c.capacity_litres, c.latitude, c.longitude,
           c.address, c.empty_distance_mm, c.full_distance_mm, l.time, l.distance_mm,
           l.fill_percent, l.fill_at, l.battery_percent, l.tilt, l.temperature_c
    FROM containers c LEFT JOIN container_latest l USING (container_id)
"""


def list_states(conn: psycopg.Connection) -> list[ContainerState]:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        return cur.execute(_STATE_QUERY + " ORDER BY c.container_id").fetchall()


def get_states(conn: psycopg.Connection, container_ids: list[str]) -> list[ContainerState]:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        query = _STATE_QUERY + " WHERE c.container_id = ANY(%s) ORDER BY c.container_id"
        return cur.execute(query, (container_ids,)).fetchall()


def get_state(conn: psycopg.Connection, container_id: str) -> ContainerState | None:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        return cur.execute(_STATE_QUERY + " WHERE c.container_id = %s", (container_id,)).fetchone()
