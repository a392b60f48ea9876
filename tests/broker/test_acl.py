"""The ACL file: hub patterns, per-user blocks, and what each kind may touch."""

from __future__ import annotations

from tilsyn.broker.acl import HUB_PATTERNS, grants_for, render_acl
from tilsyn.broker.identities import Identity, Kind, Stack
from tilsyn.platform.ingest.service import UPLINK_TOPICS

HUB = Identity("hub-1", Kind.HUB, "2025-01-01T00:00:00+00:00")
CHIRPSTACK = Identity("chirpstack", Kind.NETWORK_SERVER, "2025-01-01", Stack.CHIRPSTACK)
TTS = Identity("tts", Kind.NETWORK_SERVER, "2025-01-01", Stack.TTS)
INGEST = Identity("tilsyn-ingest", Kind.PLATFORM, "2025-01-01")


def _lines(identity: Identity, access: str) -> set[str]:
    return {grant.topic for grant in grants_for(identity) if grant.access == access}


def test_hubs_are_covered_by_username_patterns_alone() -> None:
    assert grants_for(HUB) == ()
    assert all("/%u/" in grant.topic and "%c" not in grant.topic for grant in HUB_PATTERNS)
    assert {(grant.access, grant.topic) for grant in HUB_PATTERNS} == {
        ("write", "tilsyn/edge/%u/up"),
        ("write", "tilsyn/edge/%u/health"),
        ("read", "tilsyn/edge/%u/config"),
        ("read", "tilsyn/edge/%u/command/#"),
        ("read", "tilsyn/edge/%u/receipt"),
    }


def test_every_other_identity_is_denied_the_hub_topics_bearing_its_name() -> None:
    for identity in (CHIRPSTACK, TTS, INGEST):
        assert _lines(identity, "deny") == {f"tilsyn/edge/{identity.name}/#"}


def test_chirpstack_publishes_its_event_topics_and_reads_downlinks() -> None:
    events = {topic.rsplit("/", 1)[1] for topic in _lines(CHIRPSTACK, "write")}
    assert {"up", "status", "join", "ack", "txack", "log", "location"} <= events
    assert all(
        topic.startswith("application/+/device/+/event/") for topic in _lines(CHIRPSTACK, "write")
    )
    assert _lines(CHIRPSTACK, "read") == {"application/+/device/+/command/down"}


def test_the_things_stack_stays_in_its_v3_namespace() -> None:
    assert all(grant.topic.startswith(("v3/", "tilsyn/edge/tts/")) for grant in grants_for(TTS))
    assert "v3/+/devices/+/up" in _lines(TTS, "write")


def test_the_ingest_may_read_exactly_what_it_subscribes_to() -> None:
    # A shared subscription `$share/tilsyn/{filter}` is checked against `filter`.
    assert _lines(INGEST, "read") == set(UPLINK_TOPICS)
    assert {
        "tilsyn/edge/+/config",
        "tilsyn/edge/+/command/#",
        "tilsyn/edge/+/receipt",
        "application/+/device/+/command/down",
    } <= _lines(INGEST, "write")


def test_a_hub_may_read_its_receipts_but_never_write_any() -> None:
    receipts = [grant for grant in HUB_PATTERNS if grant.topic.endswith("/receipt")]
    assert [(grant.access, grant.topic) for grant in receipts] == [
        ("read", "tilsyn/edge/%u/receipt")
    ]


def test_the_rendered_file_has_patterns_then_one_block_per_user() -> None:
    text = render_acl([INGEST, HUB, CHIRPSTACK])
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    patterns = [f"pattern {grant.access} {grant.topic}" for grant in HUB_PATTERNS]
    assert lines[: len(patterns)] == patterns
    assert [line for line in lines if line.startswith("user ")] == [
        "user chirpstack",
        "user tilsyn-ingest",
    ]
    assert "user hub-1" not in text
    assert not any(line.startswith("topic ") for line in lines[: lines.index("user chirpstack")])


def test_a_removed_identity_leaves_no_trace() -> None:
    assert "chirpstack" not in render_acl([INGEST, HUB])
