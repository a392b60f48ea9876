"""The Mosquitto ACL file: which identity may publish (write) or receive (read) on which topic.

Hubs share one set of `pattern` lines with `%u` (the authenticated username, never the
client id, which a client chooses freely), so a new hub needs no ACL entry of its own.
Patterns apply to every user, so each non-hub identity also gets a `deny` on the hub topics
bearing its own name; Mosquitto checks `deny` lines before any grant.

Mosquitto's acl_file checks `read` when it delivers a message, not when a client subscribes:
a SUBSCRIBE to someone else's topics is acknowledged but delivers nothing, retained messages
included. A shared subscription `$share/group/filter` is checked against `filter`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tilsyn.broker.identities import Identity, Kind, Stack

Access = Literal["read", "write", "deny"]

CHIRPSTACK_EVENTS = ("up", "status", "join", "ack", "txack", "log", "location", "integration")
TTS_EVENTS = (
    "up",
    "join",
    "service/data",
    "location/solved",
    *(f"down/{state}" for state in ("queued", "sent", "ack", "nack", "failed")),
)


@dataclass(frozen=True)
class Grant:
    access: Access
    topic: str


HUB_PATTERNS = (
    Grant("write", "tilsyn/edge/%u/up"),
    Grant("write", "tilsyn/edge/%u/health"),
    Grant("read", "tilsyn/edge/%u/config"),
    Grant("read", "tilsyn/edge/%u/command/#"),
    Grant("read", "tilsyn/edge/%u/receipt"),
)

NETWORK_SERVER_GRANTS = {
    Stack.CHIRPSTACK: (
        *(Grant("write", f"application/+/device/+/event/{event}") for event in CHIRPSTACK_EVENTS),
        Grant("read", "application/+/device/+/command/down"),
    ),
    Stack.TTS: (
        *(Grant("write", f"v3/+/devices/+/{event}") for event in TTS_EVENTS),
        Grant("read", "v3/+/devices/+/down/push"),
    ),
}

# The ingest subscribes with `$share/tilsyn/...`; the ACL names the filter after the group.
PLATFORM_GRANTS = (
    Grant("read", "application/+/device/+/event/up"),
    Grant("read", "application/+/device/+/event/join"),
    Grant("read", "v3/+/devices/+/up"),
    Grant("read", "v3/+/devices/+/join"),
    Grant("read", "tilsyn/edge/+/up"),
    Grant("read", "tilsyn/edge/+/health"),
    Grant("write", "tilsyn/edge/+/config"),
    Grant("write", "tilsyn/edge/+/receipt"),
    Grant("write", "tilsyn/edge/+/command/#"),
    Grant("write", "application/+/device/+/command/down"),
    Grant("write", "v3/+/devices/+/down/push"),
)


def grants_for(identity: Identity) -> tuple[Grant, ...]:
    """The per-user lines of one identity; hubs have none beyond the shared patterns."""
    if identity.kind is Kind.HUB:
        return ()
    own_hub_topics = Grant("deny", f"tilsyn/edge/{identity.name}/#")
    if identity.kind is Kind.NETWORK_SERVER:
        return (own_hub_topics, *NETWORK_SERVER_GRANTS[identity.stack or Stack.CHIRPSTACK])
    return (own_hub_topics, *PLATFORM_GRANTS)


def render_acl(identities: Iterable[Identity]) -> str:
    lines = [
        "# Mosquitto ACL for Tilsyn, rendered from identities.json by `tilsyn device ...`.",
        "# Edits here are overwritten. No anonymous section: anonymous clients are refused.",
        "",
        "# Every hub: its own uplink and health, its own config, commands and receipts.",
        *(f"pattern {grant.access} {grant.topic}" for grant in HUB_PATTERNS),
    ]
    for identity in sorted(identities, key=lambda item: item.name):
        grants = grants_for(identity)
        if not grants:
            continue
        label = f"{identity.kind} ({identity.stack})" if identity.stack else str(identity.kind)
        lines += ["", f"# {label}", f"user {identity.name}"]
        lines += [f"topic {grant.access} {grant.topic}" for grant in grants]
    return "\n".join(lines) + "\n"
