"""The API on the test database, and signed-in users for it: one per role, each with its own
session token. A test module with its own `client` (data stored before the app starts)
overrides the one here."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import User, create_user, start_session

SignIn = Callable[[str], dict[str, str]]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


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
