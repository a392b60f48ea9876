"""Create a broker directory, provision identities into it, and revoke them.

Each change rewrites the registry, the ACL and the password file under one lock. The order is
chosen so that a crash half-way never leaves more access than intended: provisioning writes the
ACL before the password that makes the identity usable, revocation removes the password first.
Passwords are returned once to the caller and never stored in clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from tilsyn.broker.acl import render_acl
from tilsyn.broker.config import BrokerConfig, render_config
from tilsyn.broker.credentials import (
    Hasher,
    default_hasher,
    new_password,
    read_password_file,
    write_password_file,
)
from tilsyn.broker.files import atomic_write, exclusive_lock
from tilsyn.broker.identities import (
    Identity,
    IdentityError,
    Kind,
    Stack,
    load_registry,
    save_registry,
)
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.tls import create_tls_material

INGEST_IDENTITY = "tilsyn-ingest"


@dataclass(frozen=True)
class Provisioned:
    identity: Identity
    password: str  # shown to the operator once; only its hash is kept


@dataclass(frozen=True)
class Listed:
    identity: Identity
    has_password: bool  # False only after an interrupted change: the identity cannot connect


def init_broker_dir(
    layout: BrokerLayout,
    config: BrokerConfig,
    *,
    hostnames: tuple[str, ...] = (),
    ingest_name: str = INGEST_IDENTITY,
    hasher: Hasher | None = None,
) -> Provisioned:
    """TLS material, mosquitto.conf, empty credentials, and the platform's ingest identity."""
    if layout.root.exists() and any(layout.root.iterdir()):
        raise FileExistsError(f"{layout.root} is not empty; refusing to overwrite a broker")
    layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.data_dir.mkdir(mode=0o700, exist_ok=True)
    create_tls_material(layout.tls.ca_cert.parent, hostnames)
    atomic_write(layout.config, render_config(config), mode=0o644)
    save_registry(layout.registry, {})
    write_password_file(layout.password_file, {})
    atomic_write(layout.acl_file, render_acl([]))
    return provision(layout, ingest_name, Kind.PLATFORM, hasher=hasher)


def provision(
    layout: BrokerLayout,
    name: str,
    kind: Kind,
    *,
    stack: Stack | None = None,
    hasher: Hasher | None = None,
) -> Provisioned:
    _require_initialised(layout)
    identity = Identity.new(name, kind, stack)
    password = new_password()
    hashed = (hasher or default_hasher()).hash(name, password)
    with exclusive_lock(layout.lock_file):
        identities = load_registry(layout.registry)
        passwords = read_password_file(layout.password_file)
        if name in identities or name in passwords:
            raise IdentityError(f"{name!r} is already provisioned; revoke it first to renew")
        identities[name] = identity
        save_registry(layout.registry, identities)
        atomic_write(layout.acl_file, render_acl(identities.values()))
        passwords[name] = hashed
        write_password_file(layout.password_file, passwords)
    return Provisioned(identity, password)


def revoke(layout: BrokerLayout, name: str) -> Identity | None:
    """Remove the identity; None when it was only in the password file (hand-added)."""
    _require_initialised(layout)
    with exclusive_lock(layout.lock_file):
        identities = load_registry(layout.registry)
        passwords = read_password_file(layout.password_file)
        if name not in identities and name not in passwords:
            raise IdentityError(f"{name!r} is not provisioned")
        passwords.pop(name, None)
        write_password_file(layout.password_file, passwords)
        identity = identities.pop(name, None)
        save_registry(layout.registry, identities)
        atomic_write(layout.acl_file, render_acl(identities.values()))
    return identity


def list_identities(layout: BrokerLayout) -> list[Listed]:
    _require_initialised(layout)
    passwords = read_password_file(layout.password_file)
    identities = load_registry(layout.registry)
    return [
        Listed(identity, identity.name in passwords)
        for identity in sorted(identities.values(), key=lambda item: (item.kind, item.name))
    ]


def _require_initialised(layout: BrokerLayout) -> None:
    if not layout.is_initialised():
        raise FileNotFoundError(
            f"{layout.root} is not a broker directory; run `tilsyn broker init` first"
        )
