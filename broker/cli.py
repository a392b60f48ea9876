"""`tilsyn broker ...` and `tilsyn device ...`: set up the broker, provision and revoke devices.

Exit codes: 0 done, 2 refused (bad name, unknown identity, not a broker directory), 3 the files
were changed but no running broker could be told to reload, so a revocation is not yet in force.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from tilsyn.broker.config import compose_config, host_config
from tilsyn.broker.identities import IdentityError, Kind, Stack
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.provisioning import (
    INGEST_IDENTITY,
    Provisioned,
    init_broker_dir,
    list_identities,
    provision,
    revoke,
)
from tilsyn.broker.reload import reload_broker
from tilsyn.cli import Subcommands

NOT_RELOADED = 3
REFUSED = 2


def register(subcommands: Subcommands) -> None:
    broker = subcommands.add_parser("broker", help="the production MQTT broker (Mosquitto)")
    broker_actions = broker.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_init(broker_actions)
    reload = broker_actions.add_parser("reload", help="make the broker reread credentials")
    reload.add_argument("broker_dir", type=Path, metavar="DIR")
    _add_reload_command(reload)
    reload.set_defaults(handler=_reload)

    device = subcommands.add_parser("device", help="broker credentials of devices and services")
    actions = device.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("provision", help="create credentials; prints the password once")
    add.add_argument("name", metavar="DEVICE_ID")
    add.add_argument("--kind", required=True, choices=[kind.value for kind in Kind])
    add.add_argument("--stack", choices=[stack.value for stack in Stack], default=None)
    remove = actions.add_parser("revoke", help="delete credentials and drop the connection")
    remove.add_argument("name", metavar="DEVICE_ID")
    listing = actions.add_parser("list", help="identities the broker accepts")
    for parser in (add, remove, listing):
        parser.add_argument("--broker-dir", type=Path, required=True, metavar="DIR")
    for parser in (add, remove):
        _add_reload_command(parser)
    add.set_defaults(handler=_provision)
    remove.set_defaults(handler=_revoke)
    listing.set_defaults(handler=_list)


def _add_init(actions: Subcommands) -> None:
    init = actions.add_parser("init", help="create config, TLS material and the ingest identity")
    init.add_argument("broker_dir", type=Path, metavar="DIR")
    init.add_argument(
        "--layout",
        choices=["host", "compose"],
        default="host",
        help="host: run mosquitto -c DIR/mosquitto.conf; compose: mount DIR at /mosquitto/config",
    )
    init.add_argument(
        "--hostname",
        action="append",
        default=[],
        help="a name or IP clients dial, added to the certificate (localhost is always in)",
    )
    init.add_argument("--tls-port", type=int, default=8883)
    init.add_argument("--bind", default=None, help="address of the TLS listener (default: all)")
    init.add_argument("--local-port", type=int, default=1883, help="plain MQTT on 127.0.0.1")
    init.add_argument("--no-local-listener", action="store_true")
    init.add_argument("--run-as", default=getpass.getuser(), help="user mosquitto runs as")
    init.add_argument("--ingest-name", default=INGEST_IDENTITY)
    init.set_defaults(handler=_init)


def _add_reload_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reload-command",
        default=None,
        help="how to reload a broker not on this host, e.g. "
        "'docker compose kill -s SIGHUP mosquitto' (default: SIGHUP via DIR/mosquitto.pid)",
    )


def _init(args: argparse.Namespace) -> int:
    layout = BrokerLayout(args.broker_dir.resolve())  # mosquitto.conf needs absolute paths
    if args.layout == "compose":
        config = compose_config()
    else:
        config = host_config(
            layout,
            tls_port=args.tls_port,
            bind=args.bind,
            local_port=None if args.no_local_listener else args.local_port,
            run_as=args.run_as,
        )
    try:
        ingest = init_broker_dir(
            layout, config, hostnames=tuple(args.hostname), ingest_name=args.ingest_name
        )
    except (FileExistsError, IdentityError) as error:
        return _refuse(error)
    print(f"broker directory ready: {layout.root} (config {layout.config})")
    _print_password(ingest)
    return 0


def _provision(args: argparse.Namespace) -> int:
    layout = BrokerLayout(args.broker_dir)
    stack = Stack(args.stack) if args.stack else None
    try:
        provisioned = provision(layout, args.name, Kind(args.kind), stack=stack)
    except (FileNotFoundError, IdentityError) as error:
        return _refuse(error)
    _print_password(provisioned)
    outcome = reload_broker(layout.pid_file, args.reload_command)
    print(f"broker: {outcome.detail}" + ("" if outcome.reloaded else "; applies on its start"))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    layout = BrokerLayout(args.broker_dir)
    try:
        identity = revoke(layout, args.name)
    except (FileNotFoundError, IdentityError) as error:
        return _refuse(error)
    print(f"revoked {identity.kind if identity else 'identity'} {args.name}")
    return _report_reload(layout, args.reload_command)


def _reload(args: argparse.Namespace) -> int:
    return _report_reload(BrokerLayout(args.broker_dir), args.reload_command)


def _list(args: argparse.Namespace) -> int:
    try:
        listed = list_identities(BrokerLayout(args.broker_dir))
    except FileNotFoundError as error:
        return _refuse(error)
    print(f"{'identity':<32} {'kind':<15} {'stack':<11} {'created':<26} password")
    for entry in listed:
        identity = entry.identity
        state = "set" if entry.has_password else "MISSING (cannot connect)"
        stack = identity.stack or "-"
        print(f"{identity.name:<32} {identity.kind:<15} {stack:<11} {identity.created:<26} {state}")
    return 0


def _print_password(provisioned: Provisioned) -> None:
    identity = provisioned.identity
    print(f"provisioned {identity.kind} {identity.name}")
    print(f"username: {identity.name}")
    print(f"password: {provisioned.password}")
    print("The password is shown only this once; the broker keeps only its hash.")


def _report_reload(layout: BrokerLayout, command: str | None) -> int:
    outcome = reload_broker(layout.pid_file, command)
    if outcome.reloaded:
        print(f"broker: {outcome.detail}")
        return 0
    print(
        f"warning: {outcome.detail}. Reload the broker (SIGHUP) for the change to take effect.",
        file=sys.stderr,
    )
    return NOT_RELOADED


def _refuse(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return REFUSED
