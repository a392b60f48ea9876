"""A private CA and the broker's server certificate, made with the `openssl` command line.

Devices trust only this CA (its certificate is shipped to them), not the public web PKI, so a
certificate bought for the municipality's domain cannot impersonate the broker. Keys are P-256
and written with umask 077; none of this material is ever committed.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

CA_DAYS = 3650
# Public CAs may not exceed 398 days; a private CA may, but yearly renewal keeps it practised.
SERVER_DAYS = 397
DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1")
PUBLIC = 0o644  # certificates; the keys stay 0600
_P256 = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")

# `openssl req -config` needs a [req] section with a distinguished_name, even when -subj
# supplies the name.
_REQ_SECTION = """\
[req]
distinguished_name = dn
[dn]
"""

_CA_EXTENSIONS = """\
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_SERVER_EXTENSIONS = """\
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {alt_names}
"""


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def in_dir(cls, directory: Path) -> TlsFiles:
        return cls(
            ca_cert=directory / "ca.crt",
            ca_key=directory / "ca.key",
            server_cert=directory / "server.crt",
            server_key=directory / "server.key",
        )


def find_openssl() -> str:
    executable = shutil.which("openssl")
    if executable is None:
        raise RuntimeError("the `openssl` command is needed to generate TLS certificates")
    return executable


def subject_alt_names(hostnames: tuple[str, ...]) -> str:
    """`DNS:localhost,IP:127.0.0.1,...`: clients check the name they dialled against these."""
    names = []
    for name in dict.fromkeys((*DEFAULT_HOSTNAMES, *hostnames)):
        try:
            ip_address(name)
            names.append(f"IP:{name}")
        except ValueError:
            names.append(f"DNS:{name}")
    return ",".join(names)


def create_ca(files: TlsFiles, *, common_name: str = "Tilsyn MQTT broker CA") -> None:
    with tempfile.TemporaryDirectory(prefix="tilsyn-tls-") as scratch:
        extensions = Path(scratch) / "ca.cnf"
        extensions.write_text(_CA_EXTENSIONS + _REQ_SECTION)
        _openssl(
            "req", "-x509", "-new", "-nodes", *_P256, "-sha256",
            "-keyout", files.ca_key, "-out", files.ca_cert,
            "-days", str(CA_DAYS), "-subj", f"/CN={common_name}",
            "-config", extensions, "-extensions", "ca",
        )  # fmt: skip
    files.ca_cert.chmod(PUBLIC)


def issue_server_certificate(files: TlsFiles, hostnames: tuple[str, ...] = ()) -> None:
    """Sign a new server key for `hostnames` (plus localhost); rerun to renew, then SIGHUP."""
    with tempfile.TemporaryDirectory(prefix="tilsyn-tls-") as scratch:
        request = Path(scratch) / "server.csr"
        extensions = Path(scratch) / "server.cnf"
        extensions.write_text(
            _SERVER_EXTENSIONS.format(alt_names=subject_alt_names(hostnames)) + _REQ_SECTION
        )
        common_name = hostnames[0] if hostnames else DEFAULT_HOSTNAMES[0]
        _openssl(
            "req", "-new", "-nodes", *_P256, "-keyout", files.server_key,
            "-out", request, "-subj", f"/CN={common_name}", "-config", extensions,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", request, "-sha256", "-days", str(SERVER_DAYS),
            "-CA", files.ca_cert, "-CAkey", files.ca_key,
            "-set_serial", f"0x{secrets.token_hex(16)}",
            "-extfile", extensions, "-extensions", "server", "-out", files.server_cert,
        )  # fmt: skip
    files.server_cert.chmod(PUBLIC)


def create_tls_material(directory: Path, hostnames: tuple[str, ...] = ()) -> TlsFiles:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = TlsFiles.in_dir(directory)
    create_ca(files)
    issue_server_certificate(files, hostnames)
    return files


def _openssl(*arguments: str | Path) -> None:
    command = [find_openssl(), *(str(argument) for argument in arguments)]
    result = subprocess.run(command, capture_output=True, text=True, umask=0o077, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: {result.stderr.strip()}")
