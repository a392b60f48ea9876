"""Secrets come from the environment, never from the repository: no private keys, no cloud or
chat tokens, no `.env` files, no credentials written into URLs, and no literal passwords or
secrets outside the tests (whose throwaway values only ever meet throwaway servers)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EVERYWHERE = {
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "an AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "a Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    # user:password@ in a URL, unless the password is a placeholder: ${VAR}, {name}, or a word
    # that names it (`user:pass@host` in documentation).
    "a password in a URL": re.compile(
        r"[a-z][a-z0-9+]*://[^/@\s:'\"]+:(?!\$\{|\{|pass@|password@|pw@)[^/@\s'\"]+@"
    ),
}
OUTSIDE_TESTS = {
    "a literal password or secret": re.compile(
        r"(?i)\b\w*(password|passwd|secret|token|api_?key)\w*\s*[:=]\s*[\"'][^\"'{}$\s]{6,}[\"']"
    ),
}


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to tell committed from local files")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def scan(text: str, rules: dict[str, re.Pattern[str]]) -> list[tuple[int, str]]:
    """(line number, what) of every match."""
    return [
        (text.count("\n", 0, match.start()) + 1, what)
        for what, rule in rules.items()
        for match in rule.finditer(text)
    ]


def text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return ""  # binary, or deleted in the working tree


def test_no_secret_is_committed() -> None:
    found = []
    for path in {*tracked_files(), Path(__file__).resolve()}:
        name = path.relative_to(ROOT)
        if path.name == ".env" or path.name.startswith(".env."):
            found.append(f"{name}: an environment file")
        rules = EVERYWHERE if "tests" in name.parts else EVERYWHERE | OUTSIDE_TESTS
        found += [f"{name}:{line}: {what}" for line, what in scan(text_of(path), rules)]
    assert found == []


@pytest.mark.parametrize(
    ("line", "what"),
    [
        # Written in two parts, so that this file does not hold what it looks for.
        ("-----BEGIN RSA " + "PRIVATE KEY-----", "a private key"),
        ("-----BEGIN " + "PRIVATE KEY-----", "a private key"),
        ("key = 'AKIA" + "IOSFODNN7EXAMPLE'", "an AWS access key"),
        ("url: postgresql://tilsyn:hunter22" + "@db:5432/tilsyn", "a password in a URL"),
        ("MQTT_URL=mqtts://ingest:Zx9_long-secret" + "@broker:8883", "a password in a URL"),
        ('db_password = "hunter2hunter2"', "a literal password or secret"),
        ("WEBHOOK_SECRET: 'abcdef123456'", "a literal password or secret"),
    ],
)
def test_the_rules_catch_what_they_are_for(line: str, what: str) -> None:
    assert scan(f"first line\n{line}\n", EVERYWHERE | OUTSIDE_TESTS) == [(2, what)]


@pytest.mark.parametrize(
    "line",
    [
        "postgresql://tilsyn:${POSTGRES_PASSWORD}@timescaledb:5432/tilsyn",
        'f"mqtts://{name}:{password}@127.0.0.1:{port}"',
        "`mqtts://user:pass@host` and mqtts://user:password@host:8883",
        "password = new_password()",
        "help='the password of the broker'",
    ],
)
def test_placeholders_pass(line: str) -> None:
    assert scan(line, EVERYWHERE | OUTSIDE_TESTS) == []
