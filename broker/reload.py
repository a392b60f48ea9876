"""Make a running Mosquitto reread its password file and ACL (SIGHUP).

On reload Mosquitto 2.0 re-authenticates every connected client against the new password file
and drops those no longer in it, so a revoked device loses its live connection as well as its
next one (the tests show this). Its man page says otherwise; the behaviour is what counts.

A broker on this host is found through its pid file. The pid is checked to belong to a process
named mosquitto first: a stale pid file must not make us signal whatever process reused the
number. In a container deployment the pid is not ours to see, so a command is given instead
(`docker compose kill -s SIGHUP mosquitto`).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReloadOutcome:
    reloaded: bool
    detail: str


def reload_broker(pid_file: Path, command: str | None = None) -> ReloadOutcome:
    if command:
        return _run_reload_command(command)
    pid = _mosquitto_pid(pid_file)
    if pid is None:
        return ReloadOutcome(False, f"no running mosquitto found through {pid_file}")
    os.kill(pid, signal.SIGHUP)
    return ReloadOutcome(True, f"sent SIGHUP to mosquitto (pid {pid})")


def _mosquitto_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if name == "mosquitto" else None


def _run_reload_command(command: str) -> ReloadOutcome:
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
    except OSError as error:
        return ReloadOutcome(False, f"`{command}` could not run: {error}")
    if result.returncode != 0:
        message = result.stderr.strip() or f"exit code {result.returncode}"
        return ReloadOutcome(False, f"`{command}` failed: {message}")
    return ReloadOutcome(True, f"ran `{command}`")
