"""Who may connect to the broker: one identity per hub, network server or platform service.

The registry (`identities.json`) records each identity's kind, which the ACL is rendered from.
It holds no secret: passwords exist only as hashes in the password file.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from tilsyn.broker.files import atomic_write

# The name is the MQTT username and, for hubs, a topic level (`tilsyn/edge/{name}/up`). So no
# `/`, `+` or `#` (Mosquitto denies pattern ACLs to such names anyway), and no `:`, which
# separates the username from the hash in the password file.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

REGISTRY_VERSION = 1


class Kind(StrEnum):
    HUB = "hub"
    NETWORK_SERVER = "network-server"
    PLATFORM = "platform"


class Stack(StrEnum):
    """The LoRaWAN network server software, which fixes the topics it publishes."""

    CHIRPSTACK = "chirpstack"
    TTS = "tts"  # The Things Stack, through its MQTT Pub/Sub integration


class IdentityError(ValueError):
    """A name that is invalid, taken, or unknown."""


@dataclass(frozen=True)
class Identity:
    name: str
    kind: Kind
    created: str  # ISO 8601, UTC
    stack: Stack | None = None  # network servers only

    @classmethod
    def new(cls, name: str, kind: Kind, stack: Stack | None = None) -> Identity:
        validate_name(name)
        if kind is Kind.NETWORK_SERVER:
            stack = stack or Stack.CHIRPSTACK
        elif stack is not None:
            raise IdentityError(f"--stack applies to network servers only, not to a {kind}")
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        return cls(name=name, kind=kind, created=created, stack=stack)


def validate_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise IdentityError(
            f"invalid identity {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def load_registry(path: Path) -> dict[str, Identity]:
    if not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("version") != REGISTRY_VERSION:
        raise IdentityError(f"{path}: unsupported registry version {document.get('version')!r}")
    identities = {}
    for entry in document["identities"]:
        stack = Stack(entry["stack"]) if entry.get("stack") else None
        identity = Identity(entry["name"], Kind(entry["kind"]), entry["created"], stack)
        identities[identity.name] = identity
    return identities


def save_registry(path: Path, identities: dict[str, Identity]) -> None:
    entries = [
        {key: str(value) for key, value in asdict(identity).items() if value is not None}
        for identity in sorted(identities.values(), key=lambda item: item.name)
    ]
    document = {"version": REGISTRY_VERSION, "identities": entries}
    atomic_write(path, json.dumps(document, indent=2) + "\n")
