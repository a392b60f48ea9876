"""Users, sessions and the audit log in the database."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tilsyn.platform.auth.passwords import hash_password, verify_password
from tilsyn.platform.auth.roles import Role

SESSION_LIFETIME = timedelta(hours=12)
# Long enough to reach a new nurse over a weekend, short enough that an account made for
# someone who never came is not a way in later (as migration 0033).
ONE_TIME_PASSWORD_LIFETIME = timedelta(hours=72)


class OneTimePasswordExpired(Exception):
    """The password was right, but it was a one-time password nobody used in time."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    # Signed in with a one-time password an admin set: may only choose her own (and sign out).
    must_change_password: bool = False


def create_user(
    conn: psycopg.Connection,
    username: str,
    role: Role,
    password: str,
    display_name: str = "",
    temporary: bool = False,
) -> None:
    """`temporary`: a one-time password (an admin's), to be replaced at the first sign-in.
    Accounts made by a command (the demo's, a bench's) keep theirs."""
    expires = datetime.now(UTC) + ONE_TIME_PASSWORD_LIFETIME if temporary else None
    conn.execute(
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password,"
        " one_time_password_expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
        (username, display_name, role, hash_password(password), temporary, expires),
    )


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    active: bool
    open_sessions: int
    must_change_password: bool
    one_time_password_expires_at: datetime | None


def list_accounts(conn: psycopg.Connection) -> list[Account]:
    rows = conn.execute(
        "SELECT u.username, u.display_name, u.role, u.active, count(s.token_hash),"
        " u.must_change_password, u.one_time_password_expires_at"
        " FROM users u LEFT JOIN sessions s ON s.username = u.username AND s.expires_at > now()"
        " GROUP BY u.username ORDER BY u.username"
    ).fetchall()
    return [Account(r[0], r[1], r[2], r[3], int(r[4]), r[5], r[6]) for r in rows]


def change_account(
    conn: psycopg.Connection, username: str, active: bool | None, password: str | None
) -> bool:
    """Deactivate or reactivate, or set a new one-time password (the admin knows it: the user
    must replace it at her next sign-in); either ends the user's sessions (a lost phone, a
    nurse who left: no session made before stays good). False: no such user."""
    found = conn.execute("SELECT 1 FROM users WHERE username = %s", (username,)).fetchone()
    if found is None:
        return False
    if active is not None:
        conn.execute("UPDATE users SET active = %s WHERE username = %s", (active, username))
    if password is not None:
        conn.execute(
            "UPDATE users SET password_hash = %s, must_change_password = true,"
            " one_time_password_expires_at = %s WHERE username = %s",
            (hash_password(password), datetime.now(UTC) + ONE_TIME_PASSWORD_LIFETIME, username),
        )
    conn.execute("DELETE FROM sessions WHERE username = %s", (username,))
    return True


def change_own_password(
    conn: psycopg.Connection, user: User, new_password: str, token: str
) -> None:
    """The user's own choice (the current password already checked): no longer one-time, and
    every other session of hers ends, so one opened with the old password is no way back in."""
    conn.execute(
        "UPDATE users SET password_hash = %s, must_change_password = false,"
        " one_time_password_expires_at = NULL WHERE username = %s",
        (hash_password(new_password), user.username),
    )
    conn.execute(
        "DELETE FROM sessions WHERE username = %s AND token_hash <> %s",
        (user.username, _hash(token)),
    )


def authenticate(conn: psycopg.Connection, username: str, password: str) -> User | None:
    """The user, if the password is hers; raises `OneTimePasswordExpired` for a right one-time
    password past its time (she may be told: she knew it)."""
    row = conn.execute(
        "SELECT username, display_name, role, must_change_password, password_hash,"
        " one_time_password_expires_at <= now() FROM users WHERE username = %s AND active",
        (username,),
    ).fetchone()
    if row is None:
        verify_password(password, _unknown_user_hash())  # the same work as for a known name
        return None
    if not verify_password(password, row[4]):
        return None
    if row[3] and row[5]:
        raise OneTimePasswordExpired(username)
    return User(row[0], row[1], row[2], row[3])


@cache
def _unknown_user_hash() -> str:
    """Made once: hashing anew for each unknown name doubled its work, and the answer's time
    told which names exist."""
    return hash_password(secrets.token_urlsafe(16))


def start_session(conn: psycopg.Connection, user: User) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO sessions (token_hash, username, expires_at) VALUES (%s, %s, %s)",
        (_hash(token), user.username, datetime.now(UTC) + SESSION_LIFETIME),
    )
    return token


def session_user(conn: psycopg.Connection, token: str) -> User | None:
    row = conn.execute(
        "SELECT u.username, u.display_name, u.role, u.must_change_password"
        " FROM sessions s JOIN users u USING (username)"
        " WHERE s.token_hash = %s AND s.expires_at > now() AND u.active",
        (_hash(token),),
    ).fetchone()
    return User(row[0], row[1], row[2], row[3]) if row else None


def end_session(conn: psycopg.Connection, token: str) -> None:
    conn.execute("DELETE FROM sessions WHERE token_hash = %s", (_hash(token),))


def audit(
    conn: psycopg.Connection,
    user: User,
    action: str,
    patient_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Every read of a patient's data, by whom and what; committed with the request."""
    audit_as(conn, user.username, user.role, action, patient_id, detail)


def audit_as(
    conn: psycopg.Connection,
    username: str,
    role: str,
    action: str,
    patient_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """`audit` for a reader who is not a signed-in user (a system user at the command line)."""
    conn.execute(
        "INSERT INTO audit_log (username, role, action, patient_id, detail)"
        " VALUES (%s, %s, %s, %s, %s)",
        (username, role, action, patient_id, Jsonb(detail or {})),
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
