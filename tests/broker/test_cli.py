"""`tilsyn broker ...` and `tilsyn device ...` without a running broker: output and exit codes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from tilsyn.broker import cli
from tilsyn.broker.config import compose_config, render_config
from tilsyn.broker.credentials import read_password_file, verify_password
from tilsyn.broker.reload import reload_broker

COMMITTED = Path(__file__).parents[2] / "broker" / "mosquitto.conf"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tilsyn")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def _password(output: str) -> str:
    (password,) = [
        line[len("password: ") :] for line in output.splitlines() if line.startswith("password: ")
    ]
    return password


@pytest.fixture(scope="module")
def broker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "broker"
    assert run("broker", "init", str(root), "--hostname", "mqtt.example.org") == 0
    return root


def test_init_prints_the_ingest_password_once_and_keeps_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "broker"
    assert run("broker", "init", str(root), "--no-local-listener") == 0
    output = capsys.readouterr().out
    password = _password(output)
    assert output.count(password) == 1
    assert verify_password(password, read_password_file(root / "passwd")["tilsyn-ingest"])
    assert "listener 1883" not in (root / "mosquitto.conf").read_text()
    assert run("broker", "init", str(root)) == cli.REFUSED


def test_init_for_compose_writes_the_committed_config(tmp_path: Path) -> None:
    assert run("broker", "init", str(tmp_path / "broker"), "--layout", "compose") == 0
    written = (tmp_path / "broker" / "mosquitto.conf").read_text()
    assert written == render_config(compose_config()) == COMMITTED.read_text()


def test_provision_without_a_running_broker_says_when_it_applies(
    broker_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run("device", "provision", "hub-7", "--kind", "hub", "--broker-dir", str(broker_dir)) == 0
    )
    output = capsys.readouterr().out
    assert "username: hub-7" in output
    assert verify_password(_password(output), read_password_file(broker_dir / "passwd")["hub-7"])
    assert "applies on its start" in output


def test_revoke_without_a_reload_exits_3_with_a_warning(
    broker_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("device", "provision", "hub-8", "--kind", "hub", "--broker-dir", str(broker_dir))
    assert run("device", "revoke", "hub-8", "--broker-dir", str(broker_dir)) == cli.NOT_RELOADED
    assert "Reload the broker" in capsys.readouterr().err
    assert "hub-8" not in read_password_file(broker_dir / "passwd")


def test_revoke_uses_the_reload_command_given(
    broker_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("device", "provision", "hub-9", "--kind", "hub", "--broker-dir", str(broker_dir))
    code = run(
        "device", "revoke", "hub-9", "--broker-dir", str(broker_dir), "--reload-command", "true"
    )
    assert code == 0
    assert "ran `true`" in capsys.readouterr().out
    run("device", "provision", "hub-10", "--kind", "hub", "--broker-dir", str(broker_dir))
    code = run(
        "device", "revoke", "hub-10", "--broker-dir", str(broker_dir), "--reload-command", "false"
    )
    assert code == cli.NOT_RELOADED


def test_refusals_exit_2(
    broker_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("device", "revoke", "nobody", "--broker-dir", str(broker_dir)) == cli.REFUSED
    assert run("device", "provision", "a/b", "--kind", "hub", "--broker-dir", str(broker_dir)) == 2
    assert run("device", "list", "--broker-dir", str(tmp_path)) == cli.REFUSED
    assert capsys.readouterr().err.count("error: ") == 3


def test_list_shows_kind_stack_and_password_state(
    broker_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(broker_dir)
    run(
        "device",
        "provision",
        "ttn",
        "--kind",
        "network-server",
        "--stack",
        "tts",
        "--broker-dir",
        root,
    )
    capsys.readouterr()
    assert run("device", "list", "--broker-dir", root) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["ttn"][:2] == ["network-server", "tts"]
    assert rows["tilsyn-ingest"][0] == "platform"
    assert rows["ttn"][-1] == "set"


def test_a_stale_pid_file_never_signals_another_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test process: a SIGHUP would kill it
    outcome = reload_broker(pid_file)
    assert not outcome.reloaded
    assert "no running mosquitto" in outcome.detail
