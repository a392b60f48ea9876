"""Device passwords and Mosquitto's password file (`username:$7$iterations$salt$hash`).

`$7$` is PBKDF2-HMAC-SHA512 with a 12-byte salt and a 64-byte digest, both base64; Mosquitto
2.0's `mosquitto_passwd` writes 101 iterations. Passwords here are 192 random bits, far beyond
brute force, so more iterations would only cost broker CPU on every reconnect storm.

`mosquitto_passwd` is used when installed, so the broker's own tool vouches for the format;
the Python writer keeps provisioning working where it is not (a platform container).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from tilsyn.broker.files import atomic_write

SALT_BYTES = 12
DIGEST_BYTES = 64
MOSQUITTO_ITERATIONS = 101


def new_password() -> str:
    """32 URL-safe characters: usable in an `mqtts://user:pass@host` URL as they are."""
    return secrets.token_urlsafe(24)


class Hasher(Protocol):
    def hash(self, username: str, password: str) -> str:
        """The password-file field after `username:`."""
        ...


class Pbkdf2Hasher:
    def __init__(self, iterations: int = MOSQUITTO_ITERATIONS) -> None:
        self.iterations = iterations

    def hash(self, username: str, password: str, *, salt: bytes | None = None) -> str:
        salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
        digest = _pbkdf2(password, salt, self.iterations)
        return f"$7${self.iterations}${_b64(salt)}${_b64(digest)}"


class MosquittoPasswdHasher:
    """Runs `mosquitto_passwd` on a scratch file; the password goes through stdin, not argv."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def hash(self, username: str, password: str) -> str:
        with tempfile.TemporaryDirectory(prefix="tilsyn-passwd-") as scratch:
            scratch_file = Path(scratch) / "passwd"
            subprocess.run(
                [self.executable, "-c", str(scratch_file), username],
                input=f"{password}\n{password}\n",
                text=True,
                capture_output=True,
                check=True,
            )
            line = scratch_file.read_text(encoding="utf-8").strip()
        name, _, hashed = line.partition(":")
        if name != username or not hashed.startswith("$7$"):
            raise RuntimeError(f"unexpected output from {self.executable}: {name!r}")
        return hashed


def find_mosquitto_passwd() -> str | None:
    return shutil.which("mosquitto_passwd") or shutil.which("mosquitto_passwd", path="/usr/bin")


def default_hasher() -> Hasher:
    executable = find_mosquitto_passwd()
    return MosquittoPasswdHasher(executable) if executable else Pbkdf2Hasher()


def verify_password(password: str, hashed: str) -> bool:
    """Check a password against a `$7$` (PBKDF2) or `$6$` (salted SHA-512) entry."""
    fields = hashed.split("$")
    if len(fields) == 5 and fields[1] == "7":
        iterations, salt, digest = int(fields[2]), fields[3], fields[4]
        computed = _pbkdf2(password, base64.b64decode(salt), iterations)
    elif len(fields) == 4 and fields[1] == "6":
        salt, digest = fields[2], fields[3]
        computed = hashlib.sha512(password.encode() + base64.b64decode(salt)).digest()
    else:
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def read_password_file(path: Path) -> dict[str, str]:
    """Username -> hash, in file order."""
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        username, separator, hashed = line.partition(":")
        if separator:
            entries[username] = hashed
    return entries


def write_password_file(path: Path, entries: dict[str, str]) -> None:
    atomic_write(path, "".join(f"{user}:{hashed}\n" for user, hashed in entries.items()))


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, DIGEST_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
