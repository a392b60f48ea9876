"""`tilsyn edge run` and `tilsyn edge status`; `python -m tilsyn.edge` runs the same commands."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tilsyn.cli import Subcommands, stop_on_signals
from tilsyn.edge.agent import Agent, AgentOptions, saved_cursor
from tilsyn.edge.display import ConsoleDisplay, FileDisplay, PatientDisplay
from tilsyn.edge.messages import config_topic
from tilsyn.edge.queue import DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES, QueueLimits
from tilsyn.edge.receipts import receipt_topic
from tilsyn.edge.schedule import Clock
from tilsyn.edge.sender import (
    DEFAULT_RECEIPT_TIMEOUT_S,
    DEFAULT_RECEIPT_WINDOW,
    MqttPublisher,
    ReceiptPolicy,
)
from tilsyn.edge.status import print_status
from tilsyn.mqtt import Message, MqttConnection

if TYPE_CHECKING:
    from tilsyn.edge.sim_source import SimulatedSource

RETRY_CONNECT_S = 2.0


def register(subcommands: Subcommands) -> None:
    edge = subcommands.add_parser("edge", help="the edge agent of a home hub or ward gateway")
    commands = edge.add_subparsers(dest="edge_command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="measure, queue on disk and publish to the platform")
    run.add_argument("--hub-id", required=True)
    run.add_argument("--mqtt-url", required=True, help="mqtt://host:port or mqtts://user:pw@...")
    run.add_argument("--ca-file", help="CA certificate for mqtts://")
    run.add_argument("--data-dir", type=Path, required=True, help="where the SQLite queue lives")
    run.add_argument("--source", choices=["sim"], default="sim", help="where readings come from")
    run.add_argument("--scenario", default="vaaler-home", help="simulator scenario (sim source)")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    run.add_argument("--max-messages", type=int, default=DEFAULT_MAX_MESSAGES)
    run.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    run.add_argument("--health-interval", type=float, default=60.0, help="seconds")
    run.add_argument("--offline-after", type=float, default=15.0, help="minutes without contact")
    run.add_argument("--display-file", type=Path, help="append patient instructions here")
    run.add_argument(
        "--receipt-timeout",
        type=float,
        default=DEFAULT_RECEIPT_TIMEOUT_S,
        help="seconds without the platform's receipt before a message is sent again",
    )
    run.add_argument(
        "--receipt-window",
        type=int,
        default=DEFAULT_RECEIPT_WINDOW,
        help="sent messages that may await their receipts at once",
    )
    run.set_defaults(handler=run_agent)
    status = commands.add_parser("status", help="queue depth, drops and last contact")
    status.add_argument("--data-dir", type=Path, required=True)
    status.set_defaults(handler=show_status)


def run_agent(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from tilsyn.edge.sim_source import SimulatedSource  # the simulator only when asked for

    try:
        agent, connection = _build(args, SimulatedSource)
    except (ValueError, KeyError, OSError) as error:
        # Bad options, an unknown hub, a data directory that is not one: said, not a trace.
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"tilsyn edge run: {message}", file=sys.stderr)
        return 2
    connection.subscribe(config_topic(args.hub_id), 1, lambda m: _offer(agent, m))
    connection.subscribe(receipt_topic(args.hub_id), 1, lambda m: _settle(agent, m))
    stop = stop_on_signals()
    threading.Thread(target=_keep_connecting, args=(connection, stop), daemon=True).start()
    try:
        agent.run(stop)
    finally:
        connection.close()
        agent.close()
    return 0


def _build(
    args: argparse.Namespace, source_type: type[SimulatedSource]
) -> tuple[Agent, MqttConnection]:
    for name in ("speed", "receipt_timeout", "health_interval", "offline_after"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"--{name.replace('_', '-')} must be a positive number, got {value}")
    limits = QueueLimits(args.max_messages, args.max_bytes)
    receipts = ReceiptPolicy(args.receipt_timeout, args.receipt_window)
    source = source_type(args.scenario, args.seed, args.hub_id)
    clock = Clock(start=saved_cursor(args.data_dir) or source.start, speed=args.speed)
    options = AgentOptions(
        hub_id=args.hub_id,
        data_dir=args.data_dir,
        timezone=source.timezone,
        limits=limits,
        health_s=args.health_interval,
        offline_after_s=args.offline_after * 60,
        receipts=receipts,
    )
    connection = MqttConnection(args.mqtt_url, f"edge-{args.hub_id}", ca_file=args.ca_file)
    display: PatientDisplay = (
        FileDisplay(args.display_file) if args.display_file else ConsoleDisplay()
    )
    return Agent(options, source, clock, MqttPublisher(connection), display), connection


def _offer(agent: Agent, message: Message) -> None:
    agent.config.offer(message.payload)


def _settle(agent: Agent, message: Message) -> None:
    agent.take_receipt(message.payload)


def _keep_connecting(connection: MqttConnection, stop: threading.Event) -> None:
    """The first connection may take days; after it, paho reconnects by itself."""
    while not stop.is_set():
        try:
            connection.connect(timeout=5.0)
            return
        except ConnectionError as error:
            logging.getLogger(__name__).info("%s; retrying", error)
            stop.wait(RETRY_CONNECT_S)


def show_status(args: argparse.Namespace) -> int:
    return print_status(args.data_dir, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tilsyn")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code
