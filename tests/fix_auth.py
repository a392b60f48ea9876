"""Signed-in users for API tests: one per role, each with its own session token."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import psycopg
import pytest

from tilsyn.platform.auth.store import User, create_user, start_session

SignIn = Callable[[str], dict[str, str]]


@pytest.fixture
def sign_in(database_url: str) -> SignIn:
    """`sign_in(role)` gives the Authorization header of a fresh user with that role."""

    def headers(role: str) -> dict[str, str]:
        username = f"{role.replace('_', '.')}.{secrets.token_hex(3)}"
        with psycopg.connect(database_url) as conn:
            create_user(conn, username, role, secrets.token_urlsafe(16))  # type: ignore[arg-type]
            token = start_session(conn, User(username, "", role))  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers
