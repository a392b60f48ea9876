"""Stopping a `tilsyn` command the tests started, as Ctrl-C does."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest


def interrupt(process: subprocess.Popen[str], seconds: float, what: str) -> str:
    """Ctrl-C, and the output; a process still running `seconds` later has its threads' stacks
    printed (SIGUSR1, `tilsyn.cli`) before it is killed, so the failure says where it hung."""
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        time.sleep(2)
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"{what} did not stop within {seconds:g} s of Ctrl-C:\n{output[-20000:]}")
    return output
