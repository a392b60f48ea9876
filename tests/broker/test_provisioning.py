"""Broker directories: init, provision, revoke, list; files stay consistent and secret-free."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from tilsyn.broker.config import host_config
from tilsyn.broker.credentials import Pbkdf2Hasher, read_password_file, verify_password
from tilsyn.broker.identities import IdentityError, Kind, Stack, load_registry
from tilsyn.broker.layout import BrokerLayout
from tilsyn.broker.provisioning import (
    INGEST_IDENTITY,
    init_broker_dir,
    list_identities,
    provision,
    revoke,
)

FAST = Pbkdf2Hasher()  # no subprocess per identity in these file-level tests


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> BrokerLayout:
    layout = BrokerLayout(tmp_path_factory.mktemp("template") / "broker")
    init_broker_dir(layout, host_config(layout), hasher=FAST)
    return layout


@pytest.fixture
def layout(initialised: BrokerLayout, tmp_path: Path) -> BrokerLayout:
    """A fresh copy of one initialised directory: key generation once, not per test."""
    return BrokerLayout(Path(shutil.copytree(initialised.root, tmp_path / "broker")))


def _everything_written(layout: BrokerLayout) -> str:
    return "".join(
        path.read_text(errors="replace") for path in layout.root.rglob("*") if path.is_file()
    )


def test_init_makes_a_complete_directory_with_the_ingest_identity(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path / "broker")
    ingest = init_broker_dir(layout, host_config(layout), hasher=FAST)
    for path in (layout.config, layout.acl_file, layout.registry, layout.tls.server_key):
        assert path.exists(), path
    assert layout.data_dir.is_dir()
    assert ingest.identity.kind is Kind.PLATFORM
    assert verify_password(
        ingest.password, read_password_file(layout.password_file)[INGEST_IDENTITY]
    )
    assert f"user {INGEST_IDENTITY}" in layout.acl_file.read_text()


def test_init_refuses_to_overwrite_a_broker(layout: BrokerLayout) -> None:
    with pytest.raises(FileExistsError):
        init_broker_dir(layout, host_config(layout), hasher=FAST)


def test_a_provisioned_password_is_kept_only_as_a_hash(layout: BrokerLayout) -> None:
    provisioned = provision(layout, "hub-0042", Kind.HUB, hasher=FAST)
    assert verify_password(
        provisioned.password, read_password_file(layout.password_file)["hub-0042"]
    )
    assert provisioned.password not in _everything_written(layout)
    assert load_registry(layout.registry)["hub-0042"].kind is Kind.HUB


def test_a_network_server_gets_its_stack_and_an_acl_block(layout: BrokerLayout) -> None:
    provision(layout, "tts-eu1", Kind.NETWORK_SERVER, stack=Stack.TTS, hasher=FAST)
    assert load_registry(layout.registry)["tts-eu1"].stack is Stack.TTS
    assert "user tts-eu1\ntopic deny tilsyn/edge/tts-eu1/#\n" in layout.acl_file.read_text()


def test_a_stack_is_refused_for_a_hub(layout: BrokerLayout) -> None:
    with pytest.raises(IdentityError, match="network servers only"):
        provision(layout, "hub-1", Kind.HUB, stack=Stack.TTS, hasher=FAST)


def test_a_name_is_provisioned_once(layout: BrokerLayout) -> None:
    provision(layout, "hub-1", Kind.HUB, hasher=FAST)
    with pytest.raises(IdentityError, match="already provisioned"):
        provision(layout, "hub-1", Kind.NETWORK_SERVER, hasher=FAST)


@pytest.mark.parametrize(
    "name", ["", "a/b", "hub+", "hub#", "a:b", " hub", "-hub", "h" * 65, "$SYS"]
)
def test_names_that_would_break_topics_or_files_are_refused(
    layout: BrokerLayout, name: str
) -> None:
    with pytest.raises(IdentityError, match="invalid identity"):
        provision(layout, name, Kind.HUB, hasher=FAST)
    assert name not in read_password_file(layout.password_file)


def test_revoke_removes_the_identity_everywhere(layout: BrokerLayout) -> None:
    provision(layout, "chirpstack", Kind.NETWORK_SERVER, hasher=FAST)
    revoked = revoke(layout, "chirpstack")
    assert revoked is not None and revoked.kind is Kind.NETWORK_SERVER
    assert "chirpstack" not in read_password_file(layout.password_file)
    assert "chirpstack" not in load_registry(layout.registry)
    assert "chirpstack" not in layout.acl_file.read_text()
    with pytest.raises(IdentityError, match="not provisioned"):
        revoke(layout, "chirpstack")


def test_a_hand_added_password_entry_can_be_revoked(layout: BrokerLayout) -> None:
    with layout.password_file.open("a") as handle:
        handle.write(f"legacy:{FAST.hash('legacy', 'pw')}\n")
    assert revoke(layout, "legacy") is None
    assert "legacy" not in read_password_file(layout.password_file)


def test_list_flags_an_identity_that_lost_its_password(layout: BrokerLayout) -> None:
    provision(layout, "hub-1", Kind.HUB, hasher=FAST)
    layout.password_file.write_text("")  # as after an interrupted change
    listed = {entry.identity.name: entry.has_password for entry in list_identities(layout)}
    assert listed == {"hub-1": False, INGEST_IDENTITY: False}


def test_concurrent_provisioning_loses_no_identity(layout: BrokerLayout) -> None:
    names = [f"hub-{n}" for n in range(24)]

    def provision_some(part: list[str]) -> None:
        for name in part:
            provision(layout, name, Kind.HUB, hasher=FAST)

    threads = [threading.Thread(target=provision_some, args=(names[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(names) <= set(read_password_file(layout.password_file))
    assert set(names) <= set(load_registry(layout.registry))


def test_commands_refuse_a_directory_that_is_not_a_broker(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="tilsyn broker init"):
        provision(BrokerLayout(tmp_path), "hub-1", Kind.HUB, hasher=FAST)
