"""Passwords and Mosquitto's password file, checked against entries Mosquitto's tool wrote."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path

import pytest

from tilsyn.broker.credentials import (
    MosquittoPasswdHasher,
    Pbkdf2Hasher,
    find_mosquitto_passwd,
    new_password,
    read_password_file,
    verify_password,
    write_password_file,
)

# Written by `mosquitto_passwd` 2.0.11 for the password "secret" (default and `-H sha512`).
MOSQUITTO_PBKDF2 = (
    "$7$101$qIKUB5knjSsrvz83$jy61WpW4Rivt5zcmCn6GPYMZeFl02nrgweJ7QJnCgu3A+QeDIKa4N3gcVzeAuUhK"
    "MWGiaVqYCfuabU1CTuU+Wg=="
)
MOSQUITTO_SHA512 = (
    "$6$qAthKYjtEDgoRvmu$opU4CmqqBSzLZBUTlCn8OaabpCqyQpmK9ILSkM3YoTu/W22YQL9eXahbQDkl3bR6eUJn"
    "5dSKEvmRZKunS7guZA=="
)
ENTRY = re.compile(r"\$7\$(\d+)\$([A-Za-z0-9+/=]{16})\$([A-Za-z0-9+/=]{88})")


def test_the_python_writer_reproduces_mosquitto_passwd_for_the_same_salt() -> None:
    salt = base64.b64decode(MOSQUITTO_PBKDF2.split("$")[3])
    assert Pbkdf2Hasher().hash("alice", "secret", salt=salt) == MOSQUITTO_PBKDF2


def test_the_python_writer_uses_a_fresh_salt_and_the_given_iterations() -> None:
    first, second = (Pbkdf2Hasher(iterations=2000).hash("hub", "pw") for _ in range(2))
    assert first != second
    match = ENTRY.fullmatch(first)
    assert match is not None and match.group(1) == "2000"
    assert len(base64.b64decode(match.group(2))) == 12
    assert len(base64.b64decode(match.group(3))) == 64


@pytest.mark.parametrize("entry", [MOSQUITTO_PBKDF2, MOSQUITTO_SHA512])
def test_verify_accepts_mosquittos_entries_and_only_the_right_password(entry: str) -> None:
    assert verify_password("secret", entry)
    assert not verify_password("Secret", entry)


def test_verify_rejects_an_unknown_scheme() -> None:
    assert not verify_password("secret", "secret")
    assert not verify_password("secret", "$5$abc$def")


@pytest.mark.skipif(find_mosquitto_passwd() is None, reason="mosquitto_passwd is not installed")
def test_mosquitto_passwd_entries_verify_against_the_password() -> None:
    password = new_password()
    entry = MosquittoPasswdHasher(find_mosquitto_passwd() or "").hash("hub-7", password)
    assert ENTRY.fullmatch(entry)
    assert verify_password(password, entry)
    assert not verify_password(password + "x", entry)


def test_new_passwords_are_long_url_safe_and_distinct() -> None:
    passwords = {new_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", password) for password in passwords)


def test_the_password_file_round_trips_in_order_and_privately(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    entries = {"tilsyn-ingest": MOSQUITTO_PBKDF2, "hub-1": MOSQUITTO_SHA512}
    write_password_file(path, entries)
    assert list(read_password_file(path).items()) == list(entries.items())
    assert path.read_text().splitlines()[0] == f"tilsyn-ingest:{MOSQUITTO_PBKDF2}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rewrite_keeps_the_mode_an_operator_gave_the_file(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    write_password_file(path, {"hub-1": MOSQUITTO_PBKDF2})
    path.chmod(0o640)  # e.g. group-readable by the broker's group
    write_password_file(path, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert read_password_file(path) == {}
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"
