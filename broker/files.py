"""Writing the broker's files safely: atomically, privately, and one writer at a time.

Mosquitto rereads the password and ACL files on SIGHUP; a half-written file read at that
moment would lock every device out, so each file is replaced in one `rename`. The broker often
runs as another user (uid 1883 in the official image), so a replacement keeps the old file's
owner and mode instead of taking those of whoever ran the command.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

PRIVATE = 0o600


def atomic_write(path: Path, text: str, *, mode: int = PRIVATE) -> None:
    """Replace `path` with `text` in one step, keeping an existing file's owner and mode."""
    previous = path.stat() if path.exists() else None
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if previous is not None:
            os.chmod(temporary, previous.st_mode & 0o777)
            if os.geteuid() == 0:
                os.chown(temporary, previous.st_uid, previous.st_gid)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Serialise read-modify-write cycles of two commands run at the same time."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
