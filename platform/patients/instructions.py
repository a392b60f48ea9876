"""What a patient's self-management plan says to do on a red or a yellow reading. The home
hub shows it when it cannot reach the care team (docs/edge.md)."""

from __future__ import annotations

import psycopg
from pydantic import BaseModel, ConfigDict, Field

MAX_INSTRUCTION_CHARS = 500  # a hub's display shows a few lines, not a leaflet


class Instructions(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    red: str = Field("", max_length=MAX_INSTRUCTION_CHARS, examples=["Use your rescue pack"])
    yellow: str = Field("", max_length=MAX_INSTRUCTION_CHARS, examples=["Rest, measure again"])


def read_instructions(conn: psycopg.Connection, patient_id: str) -> Instructions:
    row = conn.execute(
        "SELECT red, yellow FROM patient_instructions WHERE patient_id = %s", (patient_id,)
    ).fetchone()
    return Instructions() if row is None else Instructions(red=row[0], yellow=row[1])


def save_instructions(
    conn: psycopg.Connection, patient_id: str, instructions: Instructions, by: str
) -> None:
    conn.execute(
        "INSERT INTO patient_instructions (patient_id, red, yellow, updated_by)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (patient_id) DO UPDATE SET red = EXCLUDED.red,"
        " yellow = EXCLUDED.yellow, updated_by = EXCLUDED.updated_by, updated_at = now()",
        (patient_id, instructions.red, instructions.yellow, by),
    )
