"""The demo's users, one per role, with passwords made on the first run and kept in the data
directory (readable by its owner only): never in the repository."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tilsyn.platform.auth.passwords import new_password
from tilsyn.platform.auth.roles import Role
from tilsyn.platform.auth.store import create_user

DEMO_USERS: dict[str, Role] = {
    "operator": "operator",
    "nurse": "night_nurse",
    "homecare": "home_care_nurse",
    "hygiene": "infection_control",
    "admin": "admin",
}
CREDENTIALS_FILE = "demo-credentials.json"


def ensure_demo_users(conn: psycopg.Connection, data_dir: Path) -> dict[str, str]:
    """Usernames and passwords of the demo users, creating any that are missing."""
    path = data_dir / CREDENTIALS_FILE
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    existing = {row[0] for row in conn.execute("SELECT username FROM users")}
    for username, role in DEMO_USERS.items():
        if username in existing and username in known:
            continue
        if username in existing:
            conn.execute("DELETE FROM sessions WHERE username = %s", (username,))
            conn.execute("DELETE FROM users WHERE username = %s", (username,))
        known[username] = new_password()
        create_user(conn, username, role, known[username], display_name=f"Demo {role}")
    conn.commit()
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return known
