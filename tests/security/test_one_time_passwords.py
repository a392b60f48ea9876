"""A password an admin sets is a one-time password: signed in with it, a user may do nothing but
choose her own, so the admin who knew it cannot read patients under her name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.demo_users import ensure_demo_users
from tilsyn.platform.auth.store import authenticate, create_user
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

ONE_TIME = "given by the admin"
HER_OWN = "only she knows this"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def _sign_in(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    client.cookies.clear()  # each call stands on its own bearer token, never on a kept cookie
    answer = client.post("/api/auth/token", json={"username": username, "password": password})
    return answer.status_code, answer.json()


def _bearer(body: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['token']}"}


def _choose(
    client: TestClient, session: dict[str, str], current: str, new: str
) -> tuple[int, object]:
    client.cookies.clear()
    body = {"current_password": current, "new_password": new}
    answer = client.post("/api/auth/password", json=body, headers=session)
    return answer.status_code, answer.json() if answer.content else None


def _signed_in_with_a_one_time_password(
    client: TestClient, database_url: str, username: str
) -> dict[str, str]:
    """A nurse an admin made (with `ONE_TIME`), signed in with it: her bearer header."""
    with psycopg.connect(database_url) as conn:
        create_user(conn, username, "home_care_nurse", ONE_TIME, temporary=True)
    return _bearer(_sign_in(client, username, ONE_TIME)[1])


def _account(client: TestClient, admin: dict[str, str], username: str) -> dict[str, object]:
    (account,) = [
        a for a in client.get("/api/admin/users", headers=admin).json() if a["username"] == username
    ]
    return account


def test_a_user_an_admin_made_must_choose_her_own_password_before_anything_else(
    client: TestClient, sign_in: SignIn
) -> None:
    admin = sign_in("admin")
    made = {"username": "nurse.ida", "role": "home_care_nurse", "password": ONE_TIME}
    assert client.post("/api/admin/users", json=made, headers=admin).status_code == 201
    assert _account(client, admin, "nurse.ida")["must_change_password"] is True

    status, signed = _sign_in(client, "nurse.ida", ONE_TIME)
    assert status == 200 and signed["must_change_password"] is True
    session = _bearer(signed)
    for path in ("/api/triage", "/api/patients/P1/measurements", "/api/alerts", "/api/hubs/health"):
        refused = client.get(path, headers=session)
        assert refused.status_code == 403, path
        assert "choose a new password first" in refused.json()["detail"], path
    me = client.get("/api/auth/me", headers=session).json()
    assert (me["username"], me["must_change_password"]) == ("nurse.ida", True)

    assert _choose(client, session, ONE_TIME, HER_OWN) == (204, None)
    assert client.get("/api/triage", headers=session).status_code == 200, "the same session works"
    assert _sign_in(client, "nurse.ida", ONE_TIME)[0] == 401, "the one-time password is spent"
    status, signed = _sign_in(client, "nurse.ida", HER_OWN)
    assert status == 200 and signed["must_change_password"] is False
    assert _account(client, admin, "nurse.ida")["must_change_password"] is False


def test_a_password_an_admin_gives_an_existing_user_is_one_time_too(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "nurse.eva", "home_care_nurse", HER_OWN)
    status, signed = _sign_in(client, "nurse.eva", HER_OWN)
    assert status == 200 and signed["must_change_password"] is False
    assert client.get("/api/triage", headers=_bearer(signed)).status_code == 200

    reset = {"password": ONE_TIME}
    assert client.patch(
        "/api/admin/users/nurse.eva", json=reset, headers=sign_in("admin")
    ).is_success
    status, signed = _sign_in(client, "nurse.eva", ONE_TIME)
    assert status == 200 and signed["must_change_password"] is True
    refused = client.get("/api/triage", headers=_bearer(signed))
    assert refused.status_code == 403 and "choose a new password first" in refused.text


def test_choosing_a_password_ends_her_other_sessions_and_is_audited(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Any user may choose a new password any time; a session opened elsewhere with the old
    one (a phone left behind) ends."""
    with psycopg.connect(database_url) as conn:
        create_user(conn, "nurse.siv", "home_care_nurse", ONE_TIME)
    phone = _bearer(_sign_in(client, "nurse.siv", ONE_TIME)[1])
    desk = _bearer(_sign_in(client, "nurse.siv", ONE_TIME)[1])
    assert _choose(client, desk, ONE_TIME, HER_OWN) == (204, None)
    assert client.get("/api/triage", headers=desk).status_code == 200
    assert client.get("/api/triage", headers=phone).status_code == 401

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT username, role, action, patient_id, detail FROM audit_log"
            " WHERE action = 'password_changed'"
        ).fetchall()
    assert rows == [
        ("nurse.siv", "home_care_nurse", "password_changed", None, {"was_one_time": False})
    ]


def test_the_new_password_must_be_long_new_and_earned_by_the_current_one(
    client: TestClient, database_url: str
) -> None:
    session = _signed_in_with_a_one_time_password(client, database_url, "nurse.liv")
    assert _choose(client, session, ONE_TIME, "too short")[0] == 422
    status, answer = _choose(client, session, ONE_TIME, ONE_TIME)
    assert status == 422 and "must differ" in str(answer)
    status, answer = _choose(client, session, "not the current one", HER_OWN)
    assert status == 403 and "current password is wrong" in str(answer)
    client.cookies.clear()
    body = {"current_password": ONE_TIME, "new_password": HER_OWN}
    assert client.post("/api/auth/password", json=body).status_code == 401
    assert client.get("/api/triage", headers=session).status_code == 403, "still one-time"


def test_wrong_current_passwords_count_as_failed_sign_ins(
    client: TestClient, database_url: str
) -> None:
    """A stolen session is no faster way to guess her password than the sign-in form."""
    with psycopg.connect(database_url) as conn:
        create_user(conn, "nurse.ada", "home_care_nurse", HER_OWN)
    session = _bearer(_sign_in(client, "nurse.ada", HER_OWN)[1])
    guesses = [
        _choose(client, session, f"guess number {n}", "a brand new password")[0] for n in range(5)
    ]
    assert guesses == [403] * 5
    assert _choose(client, session, HER_OWN, "a brand new password")[0] == 429
    assert _sign_in(client, "nurse.ada", HER_OWN)[0] == 429, "one limit for both doors"


def test_accounts_made_by_a_command_keep_their_password(database_url: str, tmp_path: Path) -> None:
    """The demo's users (and the tests' seeded ones) are not asked to choose a new one."""
    with psycopg.connect(database_url) as conn:
        credentials = ensure_demo_users(conn, tmp_path)
        for username, password in credentials.items():
            user = authenticate(conn, username, password)
            assert user is not None and user.must_change_password is False, username


def _expire_one_time_passwords(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE users SET one_time_password_expires_at = now() - interval '1 minute'"
            " WHERE one_time_password_expires_at IS NOT NULL"
        )


def test_a_one_time_password_nobody_used_in_time_stops_working(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """An account made for a nurse who never came is no way in weeks later: the one-time
    password works for three days, then the admin sees it expired and gives a new one."""
    admin = sign_in("admin")
    made = {"username": "nurse.eva", "role": "home_care_nurse", "password": ONE_TIME}
    assert client.post("/api/admin/users", json=made, headers=admin).status_code == 201
    expires = datetime.fromisoformat(
        str(_account(client, admin, "nurse.eva")["one_time_password_expires_at"])
    )
    assert timedelta(hours=71) < expires - datetime.now(UTC) <= timedelta(hours=72)
    _expire_one_time_passwords(database_url)

    status, answer = _sign_in(client, "nurse.eva", ONE_TIME)
    assert status == 401 and "expired: ask an administrator" in str(answer["detail"])
    status, answer = _sign_in(client, "nurse.eva", "not her password")
    assert status == 401 and "expired" not in str(answer["detail"]), "told only to who knew it"

    change = {"password": "a new one from the admin"}
    assert client.patch("/api/admin/users/nurse.eva", json=change, headers=admin).is_success
    status, signed = _sign_in(client, "nurse.eva", "a new one from the admin")
    assert status == 200 and signed["must_change_password"] is True
    assert _choose(client, _bearer(signed), "a new one from the admin", HER_OWN) == (204, None)
    assert _account(client, admin, "nurse.eva")["one_time_password_expires_at"] is None
    _expire_one_time_passwords(database_url)  # nothing left to expire: her own never does
    assert _sign_in(client, "nurse.eva", HER_OWN)[0] == 200


def test_a_one_time_password_that_expires_mid_sign_in_cannot_become_her_own(
    client: TestClient, database_url: str
) -> None:
    session = _signed_in_with_a_one_time_password(client, database_url, "nurse.oda")
    _expire_one_time_passwords(database_url)
    status, answer = _choose(client, session, ONE_TIME, HER_OWN)
    assert status == 403 and "expired" in str(answer)
