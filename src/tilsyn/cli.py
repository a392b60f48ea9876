"""The `tilsyn` command line: one entry point; each part of the system adds its subcommands."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import io
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TypeAlias

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM, for commands that run until stopped. Handlers of
    their own: started in the background by a script, a process inherits SIGINT ignored, and
    Ctrl-C or `kill -INT` would not stop it."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def build_parser() -> argparse.ArgumentParser:
    # Imported here so that `tilsyn --help` never pays for a part it does not run.
    from tilsyn.broker import cli as broker_cli
    from tilsyn.codecs import cli as codecs_cli
    from tilsyn.edge import cli as edge_cli
    from tilsyn.platform import cli as platform_cli
    from tilsyn.platform.clinical import cli as clinical_cli
    from tilsyn.platform.export import cli as export_cli
    from tilsyn.routing import cli as routing_cli
    from tilsyn.sim import cli as sim_cli

    parser = argparse.ArgumentParser(
        prog="tilsyn", description="Tilsyn IoT platform for municipal welfare and city operations."
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for part in (
        platform_cli,
        codecs_cli,
        clinical_cli,
        export_cli,
        sim_cli,
        routing_cli,
        broker_cli,
        edge_cli,
    ):
        part.register(subcommands)
    return parser


def _stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack: what a process that will not stop, or
    stands still, is waiting on."""
    stderr = sys.__stderr__  # the process's own: a test calling main() replaces sys.stderr
    if not hasattr(signal, "SIGUSR1") or stderr is None:
        return
    # Without a file descriptor behind standard error there is nowhere to print to.
    with contextlib.suppress(ValueError, io.UnsupportedOperation):
        faulthandler.register(signal.SIGUSR1, file=stderr, all_threads=True)


def main(argv: Sequence[str] | None = None) -> int:
    _stacks_on_sigusr1()
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
