"""The CA and server certificate: valid for the broker's names, keys private."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from tilsyn.broker.tls import create_tls_material, find_openssl, subject_alt_names


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls") / "tls"
    create_tls_material(directory, ("mosquitto", "10.20.30.40"))
    return directory


def _openssl(*arguments: str) -> str:
    result = subprocess.run([find_openssl(), *arguments], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_server_certificate_chains_to_the_ca(tls_dir: Path) -> None:
    output = _openssl(
        "verify", "-CAfile", str(tls_dir / "ca.crt"), "-purpose", "sslserver",
        str(tls_dir / "server.crt"),
    )  # fmt: skip
    assert output.strip().endswith("OK")


def test_the_server_certificate_names_localhost_and_the_given_hosts(tls_dir: Path) -> None:
    text = _openssl("x509", "-in", str(tls_dir / "server.crt"), "-noout", "-ext", "subjectAltName")
    for name in (
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "DNS:mosquitto",
        "IP Address:10.20.30.40",
    ):
        assert name in text


def test_the_ca_may_sign_and_the_server_certificate_may_not(tls_dir: Path) -> None:
    ca = _openssl("x509", "-in", str(tls_dir / "ca.crt"), "-noout", "-ext", "basicConstraints")
    server = _openssl(
        "x509", "-in", str(tls_dir / "server.crt"), "-noout", "-ext", "basicConstraints"
    )
    assert "CA:TRUE" in ca
    assert "CA:FALSE" in server


def test_keys_are_private_and_certificates_public(tls_dir: Path) -> None:
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tls_dir.iterdir()}
    assert modes == {"ca.key": 0o600, "server.key": 0o600, "ca.crt": 0o644, "server.crt": 0o644}


def test_subject_alt_names_type_and_deduplicate_names() -> None:
    assert subject_alt_names(("localhost", "::1", "mqtt.example.org")) == (
        "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:mqtt.example.org"
    )
