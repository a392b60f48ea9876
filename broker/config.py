"""The production mosquitto.conf, rendered from one typed description.

`per_listener_settings false` makes the password file, the ACL and `allow_anonymous false`
apply to every listener, so the optional plain listener on 127.0.0.1 asks for the same
credentials as the TLS one; it only saves on-host clients the TLS handshake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tilsyn.broker.layout import BrokerLayout

COMPOSE_CONFIG_DIR = PurePosixPath("/mosquitto/config")
COMPOSE_DATA_DIR = PurePosixPath("/mosquitto/data")


@dataclass(frozen=True)
class TlsListener:
    port: int
    cafile: PurePosixPath
    certfile: PurePosixPath
    keyfile: PurePosixPath
    bind: str | None = None  # None: every interface


@dataclass(frozen=True)
class BrokerConfig:
    tls: TlsListener
    password_file: PurePosixPath
    acl_file: PurePosixPath
    persistence_dir: PurePosixPath
    local_port: int | None = None  # plain MQTT, bound to 127.0.0.1 only
    pid_file: PurePosixPath | None = None
    log_file: PurePosixPath | None = None  # besides stderr
    run_as: str | None = None  # Mosquitto's `user`: the account it drops to when started as root
    # The ingest reads with QoS 1 and acknowledges after storing: a wide window keeps it busy.
    max_inflight_messages: int = 1000
    # Per client, what the broker holds while a persistent subscriber (the ingest) is away:
    # at 1,000 msg/s, a few minutes. The byte cap bounds memory whatever the payload size.
    max_queued_messages: int = 200_000
    max_queued_bytes: int = 256 * 1024 * 1024
    # A device message is a few kilobytes; a bigger packet is an error or an attack.
    max_packet_size: int = 256 * 1024
    # Sessions of hubs gone for good (returned kits) must not hold queues forever.
    persistent_client_expiration: str = "30d"
    autosave_interval_s: int = 10


def render_config(config: BrokerConfig) -> str:
    return "\n".join([*_general(config), *_logging(config), *_listeners(config)]) + "\n"


def _general(config: BrokerConfig) -> list[str]:
    lines = ["# Tilsyn production Mosquitto configuration (rendered; see docs/broker.md)."]
    if config.run_as:
        lines.append(f"user {config.run_as}")
    if config.pid_file:
        lines.append(f"pid_file {config.pid_file}")
    return [
        *lines,
        "",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {config.password_file}",
        f"acl_file {config.acl_file}",
        "",
        "persistence true",
        f"persistence_location {config.persistence_dir}/",
        f"autosave_interval {config.autosave_interval_s}",
        f"persistent_client_expiration {config.persistent_client_expiration}",
        f"max_inflight_messages {config.max_inflight_messages}",
        f"max_queued_messages {config.max_queued_messages}",
        f"max_queued_bytes {config.max_queued_bytes}",
        f"max_packet_size {config.max_packet_size}",
        # PUBACKs and receipts are small: sent at once, not held back by Nagle's algorithm.
        "set_tcp_nodelay true",
    ]


def _logging(config: BrokerConfig) -> list[str]:
    lines = ["", "log_dest stderr"]
    if config.log_file:
        lines.append(f"log_dest file {config.log_file}")
    # Connections are logged: who connected from where is part of the audit trail.
    types = ("error", "warning", "notice", "information")
    return [
        *lines,
        *(f"log_type {kind}" for kind in types),
        "connection_messages true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]


def _listeners(config: BrokerConfig) -> list[str]:
    tls = config.tls
    lines = [
        "",
        f"listener {tls.port} {tls.bind}" if tls.bind else f"listener {tls.port}",
        "protocol mqtt",
        f"cafile {tls.cafile}",
        f"certfile {tls.certfile}",
        f"keyfile {tls.keyfile}",
        "require_certificate false",
        "tls_version tlsv1.2",
    ]
    if config.local_port is not None:
        lines += ["", f"listener {config.local_port} 127.0.0.1", "protocol mqtt"]
    return lines


def host_config(
    layout: BrokerLayout,
    *,
    tls_port: int = 8883,
    bind: str | None = None,
    local_port: int | None = 1883,
    run_as: str | None = None,
) -> BrokerConfig:
    """For a broker run straight from a directory made by `tilsyn broker init`."""
    files = layout.tls
    return BrokerConfig(
        tls=TlsListener(
            port=tls_port,
            bind=bind,
            cafile=PurePosixPath(files.ca_cert),
            certfile=PurePosixPath(files.server_cert),
            keyfile=PurePosixPath(files.server_key),
        ),
        password_file=PurePosixPath(layout.password_file),
        acl_file=PurePosixPath(layout.acl_file),
        persistence_dir=PurePosixPath(layout.data_dir),
        local_port=local_port,
        pid_file=PurePosixPath(layout.pid_file),
        log_file=PurePosixPath(layout.log_file),
        run_as=run_as,
    )


def compose_config() -> BrokerConfig:
    """For the eclipse-mosquitto image: the broker directory mounted at /mosquitto/config."""
    mounted = BrokerLayout(Path(COMPOSE_CONFIG_DIR))
    files = mounted.tls
    return BrokerConfig(
        tls=TlsListener(
            port=8883,
            cafile=PurePosixPath(files.ca_cert),
            certfile=PurePosixPath(files.server_cert),
            keyfile=PurePosixPath(files.server_key),
        ),
        password_file=PurePosixPath(mounted.password_file),
        acl_file=PurePosixPath(mounted.acl_file),
        persistence_dir=COMPOSE_DATA_DIR,
    )
