"""API answers carry `Cache-Control: no-store`; the screens' own files stay cacheable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

pytestmark = pytest.mark.integration


def test_who_is_signed_in_and_patient_data_are_not_kept_by_the_browser(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    for path in ("/api/auth/me", "/api/triage", "/api/questionnaires", "/fhir/Observation?x=1"):
        answer = client.get(path, headers=nurse)
        assert answer.headers.get_list("cache-control") == ["no-store"], path
    refused = client.get("/api/auth/me")
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"


def test_an_answer_that_says_how_to_cache_it_keeps_its_word_and_screens_stay_cacheable(
    client: TestClient,
) -> None:
    script = client.get("/night.js")
    assert script.status_code == 200 and "cache-control" not in script.headers
    config = client.get("/config.js")
    assert config.headers.get_list("cache-control") == ["no-cache"]
