"""Platform subcommands: run it, migrate its database, and manage the container registry."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path

import psycopg

from tilsyn.cli import Subcommands, stop_on_signals
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import AlreadyRegistered, list_states, register_container
from tilsyn.platform.runtime import migrate, resolve_database_url, serve_until_stopped

# After Ctrl-C, how long `tilsyn fleet` waits for its fleets to close their connections.
STOP_SECONDS = 10.0


def register(subcommands: Subcommands) -> None:
    serve_cmd = subcommands.add_parser("serve", help="run ingest, the API and the web pages")
    serve_cmd.set_defaults(handler=_serve)

    demo = subcommands.add_parser(
        "demo", help="run everything on embedded defaults with a simulated fleet"
    )
    demo.add_argument("--containers", type=int, default=200, help="containers shown (of 1,000)")
    demo.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second once recent history is replayed (1: real time)",
    )
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=_demo)

    fleet = subcommands.add_parser(
        "fleet",
        help="run simulated fleets (Herning's containers, a ward, Våler's home hubs) against"
        " MQTT_URL in real time",
    )
    fleet.add_argument("--containers", type=int, default=1000, help="containers that report")
    fleet.add_argument("--speed", type=float, default=1.0)
    fleet.add_argument("--seed", type=int, default=1)
    fleet.add_argument(
        "--scenarios",
        default="herning,ward",
        help="comma-separated, of herning, ward, vaaler-home; the home hubs publish on their"
        " own topics, which a network server's broker account may not write",
    )
    fleet.add_argument(
        "--register",
        action="store_true",
        help="register the containers, wards and home hubs in the database at DATABASE_URL first",
    )
    fleet.set_defaults(handler=_fleet)

    migrate_cmd = subcommands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.set_defaults(handler=_migrate)

    db = subcommands.add_parser("db", help="back up the database, or restore a backup")
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    backup_cmd = db_actions.add_parser("backup", help="pg_dump the database at DATABASE_URL")
    backup_cmd.add_argument("file", type=Path, help="the backup file to write")
    backup_cmd.set_defaults(handler=_db_backup)
    restore_cmd = db_actions.add_parser(
        "restore", help="pg_restore a backup into the new, empty database at DATABASE_URL"
    )
    restore_cmd.add_argument("file", type=Path, help="a file written by `tilsyn db backup`")
    restore_cmd.set_defaults(handler=_db_restore)

    container = subcommands.add_parser("container", help="the container registry")
    actions = container.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a container and its fill sensor")
    for name, kind in ContainerIn.model_fields.items():
        flag = "--" + name.replace("_", "-")
        required = kind.is_required()
        add.add_argument(flag, required=required, default=None if required else kind.default)
    add.set_defaults(handler=_container_add)
    listing = actions.add_parser("list", help="containers with their latest fill")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=_container_list)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.mqtt_url:
        raise SystemExit("set MQTT_URL (or use `tilsyn demo` for a local broker)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve_until_stopped(settings, resolve_database_url(settings), settings.mqtt_url)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tilsyn.platform.demo import run_demo

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # Ctrl-C during start-up: what was started has been stopped on the way out.
    with contextlib.suppress(KeyboardInterrupt):
        run_demo(Settings(), containers=args.containers, speed=args.speed, seed=args.seed)
    return 0


def _fleet(args: argparse.Namespace) -> int:
    import psycopg

    from tilsyn.platform.demo import demo_fleets, register_fleet, start_fleets

    settings = Settings()
    if not settings.mqtt_url:
        raise SystemExit("set MQTT_URL to the broker the fleets report to")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    wanted = set(args.scenarios.split(","))
    fleets = [f for f in demo_fleets(args.seed, args.containers) if f.name in wanted]
    if unknown := wanted - {f.name for f in fleets}:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}: herning, ward, vaaler-home")
    if args.register:
        with psycopg.connect(resolve_database_url(settings)) as conn:
            for fleet in fleets:
                register_fleet(conn, fleet)
    stop = stop_on_signals()
    threads = start_fleets(fleets, settings.mqtt_url, args.speed, stop, settings.mqtt_ca_file)
    while any(t.is_alive() for t in threads) and not stop.wait(0.5):
        pass
    stop.set()
    deadline = time.monotonic() + STOP_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    if stuck := [t.name for t in threads if t.is_alive()]:
        logging.warning("stopped without waiting for %s", ", ".join(stuck))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    applied = migrate(resolve_database_url(Settings()))
    print(f"applied {applied} migration(s)")
    return 0


def _db_backup(args: argparse.Namespace) -> int:
    from tilsyn.platform.db.backup import BackupError, backup

    try:
        size = backup(resolve_database_url(Settings()), args.file)
    except BackupError as error:
        raise SystemExit(str(error)) from error
    print(f"wrote {args.file} ({size} bytes)")
    return 0


def _db_restore(args: argparse.Namespace) -> int:
    from tilsyn.platform.db.backup import BackupError, restore

    try:
        restore(args.file, resolve_database_url(Settings()))
    except BackupError as error:
        raise SystemExit(str(error)) from error
    print(f"restored {args.file}")
    return 0


def _container_add(args: argparse.Namespace) -> int:
    fields = {name: getattr(args, name) for name in ContainerIn.model_fields}
    try:
        container = ContainerIn.model_validate({k: v for k, v in fields.items() if v is not None})
        with psycopg.connect(resolve_database_url(Settings())) as conn:
            register_container(conn, container)
    except (ValueError, AlreadyRegistered) as error:
        print(f"tilsyn: {error}", file=sys.stderr)
        return 2
    print(f"registered {container.container_id} ({container.dev_eui})")
    return 0


def _container_list(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database_url(Settings())) as conn:
        states = list_states(conn)
    if args.json:
        print(json.dumps([s.model_dump(mode="json") for s in states], indent=2))
        return 0
    print(f"{'container':<20} {'kind':<10} {'fill %':>7} {'battery %':>9}  last reading")
    for s in states:
        fill = "-" if s.fill_percent is None else f"{s.fill_percent:.1f}"
        battery = "-" if s.battery_percent is None else str(s.battery_percent)
        when = "-" if s.time is None else s.time.isoformat(timespec="seconds")
        print(f"{s.container_id:<20} {s.waste_kind:<10} {fill:>7} {battery:>9}  {when}")
    return 0
