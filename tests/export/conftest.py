"""A database shared by the tests of one module that only read what the module seeded once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fix_db import create_database, drop_database


@pytest.fixture(scope="module")
def module_database_url(postgres_server: str, migrated_template: str) -> Iterator[str]:
    name = f"tilsyn_export_{uuid.uuid4().hex[:8]}"
    yield create_database(postgres_server, name, template=migrated_template)
    drop_database(postgres_server, name)
