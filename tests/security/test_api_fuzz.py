"""Fuzzing of the HTTP API from its OpenAPI description (schemathesis), signed in as each role
and as nobody: whatever a client sends, the answer is never a server error (5xx).

The server is the real one (uvicorn on a free port) on a migrated database with a patient, a
hub and a container registered; live streams are left out (they never end).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import schemathesis
from fix_db import create_database, drop_database
from fix_server import LiveServer
from hypothesis import HealthCheck, given, settings

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.roles import ROLES
from tilsyn.platform.auth.store import User, create_user, start_session
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 10
NOBODY = "nobody"


@pytest.fixture(scope="module")
def fuzzed_database(postgres_server: str, migrated_template: str) -> Iterator[str]:
    name = f"tilsyn_fuzz_{uuid.uuid4().hex[:8]}"
    url = create_database(postgres_server, name, template=migrated_template)
    with psycopg.connect(url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-1", unit="Våler", patient_ids=["P1"]))
        register_container(
            conn,
            ContainerIn(
                container_id="C1",
                dev_eui="24e1247100ff0001",
                waste_kind="paper",
                capacity_litres=660,
                empty_distance_mm=2000,
                full_distance_mm=300,
                latitude=56.1,
                longitude=8.9,
            ),
        )
    yield url
    drop_database(postgres_server, name)


@pytest.fixture(scope="module")
def tokens(fuzzed_database: str) -> dict[str, dict[str, str]]:
    """The Authorization header of one user per role (and none for nobody)."""
    headers: dict[str, dict[str, str]] = {NOBODY: {}}
    with psycopg.connect(fuzzed_database) as conn:
        for role in ROLES:
            username = f"fuzz.{role}"
            create_user(conn, username, role, secrets.token_urlsafe(16))
            headers[role] = {
                "Authorization": f"Bearer {start_session(conn, User(username, '', role))}"
            }
    return headers


@pytest.fixture(scope="module")
def server_url(fuzzed_database: str) -> Iterator[str]:
    with LiveServer(create_app(fuzzed_database)) as server:
        yield server.url


# The description does not depend on the database: read it without one. Streams never end, and
# signing out would end the session the other cases use.
OPENAPI = create_app("postgresql://unused").openapi()
schema = (
    schemathesis.openapi.from_dict(OPENAPI)
    .exclude(path_regex=r"/stream$")
    .exclude(path="/api/auth/logout")
)


# One test per operation, named after it: schemathesis' own parametrize gives every operation
# the same test id, which pytest-xdist's workers cannot tell apart (all but one went unrun).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_request_gets_a_server_error(
    operation: schemathesis.APIOperation, server_url: str, tokens: dict[str, dict[str, str]]
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def every_role_asks(case: schemathesis.Case) -> None:
        for role, headers in tokens.items():
            response = case.call(base_url=server_url, headers=headers, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} as {role}: {response.status_code}\n"
                f"{response.text[:500]}\n{case.as_curl_command()}"
            )

    every_role_asks()


def test_a_capacity_too_small_to_store_is_refused_not_a_crash(
    server_url: str, tokens: dict[str, dict[str, str]]
) -> None:
    """Found by the fuzzing above: 5e-324 passed `gt=0` and overflowed PostgreSQL's `real`;
    the registry now asks for at least a litre."""
    body = {
        "container_id": "tiny",
        "dev_eui": "24e1247100ff0002",
        "waste_kind": "glass",
        "capacity_litres": 5e-324,
        "empty_distance_mm": 2000,
        "full_distance_mm": 300,
        "latitude": 56.1,
        "longitude": 8.9,
    }
    response = httpx.post(f"{server_url}/api/containers", json=body, headers=tokens["operator"])
    assert response.status_code == 422
    assert "greater than or equal to 1" in str(response.json()["detail"])
    # JSON has no infinity, but Python's encoder writes one: an endless container would
    # block the town's collection plan.
    endless = json.dumps(body | {"container_id": "endless", "capacity_litres": float("inf")})
    assert "Infinity" in endless
    response = httpx.post(
        f"{server_url}/api/containers",
        content=endless,
        headers=tokens["operator"] | {"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "finite number" in str(response.json()["detail"])


def _text_parameter_requests() -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, query) with a NUL byte in every text parameter of every operation."""
    found = []
    for path, operations in OPENAPI["paths"].items():
        if path.endswith("/stream"):
            continue
        for method, operation in operations.items():
            url, query = path, {}
            for parameter in operation.get("parameters", []):
                if "string" not in json.dumps(parameter.get("schema", {})):
                    continue
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", "%00")
                elif parameter["in"] == "query":
                    query[parameter["name"]] = "\x00"
            if url != path or query:
                found.append((method.upper(), url, query))
    return found


def test_a_nul_byte_in_any_text_parameter_is_refused_not_a_crash(
    server_url: str, tokens: dict[str, dict[str, str]]
) -> None:
    """Found by the fuzzing above: PostgreSQL text cannot hold NUL, and psycopg refused it."""
    requests = _text_parameter_requests()
    assert len(requests) > 10
    crashes = [
        (method, url, role, response.status_code)
        for method, url, query in requests
        for role, headers in tokens.items()
        for response in [
            httpx.request(method, server_url + url, params=query, headers=headers, json={})
        ]
        if response.status_code >= 500
    ]
    assert crashes == []
