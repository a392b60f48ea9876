"""Questionnaire answers the patient's app leaves in the hub's inbox: queued once, in messages the
platform parses; a file the platform would refuse is set aside with its reason and counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tilsyn.codecs.questionnaire import build_questionnaire_response, parse_questionnaire_response
from tilsyn.edge.agent import Agent
from tilsyn.edge.answers import INBOX, REFUSED
from tilsyn.platform.ingest.edge import parse_envelope

AUTHORED = datetime(2025, 3, 3, 7, 40, tzinfo=UTC)


def _response(patient_id: str = "P-1", response_id: str | None = "qr-1") -> dict[str, Any]:
    answers = {"breathless": True, "cough": "more than usual", "sputum_colour": 2.0}
    return build_questionnaire_response(
        patient_id, "copd-daily", answers, AUTHORED, response_id=response_id
    )


def _save(agent: Agent, name: str, content: bytes | dict[str, Any]) -> Path:
    """As the app does: written under another name, renamed when whole."""
    inbox = agent.options.data_dir / INBOX
    body = content if isinstance(content, bytes) else json.dumps(content).encode()
    partial = inbox / f".{name}.part"
    partial.write_bytes(body)
    return partial.replace(inbox / name)


def _queued_entries(agent: Agent) -> list[dict[str, Any]]:
    return [
        entry
        for message in agent.queue.peek(100)
        for entry in parse_envelope("hub-1", message.body).entries
    ]


def test_an_answer_is_queued_in_a_message_the_platform_parses_and_its_file_removed(
    agent: Agent,
) -> None:
    saved = _save(agent, "2025-03-03T0740-copd.json", _response())
    assert agent.collect_answers() == 1
    (entry,) = _queued_entries(agent)
    parsed = parse_questionnaire_response(entry)
    assert (parsed.response_id, parsed.patient_id, parsed.questionnaire) == (
        "qr-1",
        "P-1",
        "copd-daily",
    )
    assert parsed.answers == {"breathless": True, "cough": "more than usual", "sputum_colour": 2.0}
    assert parsed.authored == AUTHORED
    assert not saved.exists()
    assert agent.collect_answers() == 0, "nothing is queued twice"
    assert len(agent.queue.peek(100)) == 1


def test_a_file_being_written_is_left_alone(agent: Agent) -> None:
    partial = agent.options.data_dir / INBOX / ".copd.json.part"
    partial.write_text('{"resourceType": "Questionn')
    assert agent.collect_answers() == 0
    assert partial.exists()
    assert agent.queue.stats().dropped["answers_refused"] == 0


def test_an_answer_saved_again_is_not_sent_twice(agent: Agent) -> None:
    """The same response saved twice, or its file left behind by a crash between queueing it
    and removing it: its identity is remembered with the queued message."""
    _save(agent, "a.json", _response())
    _save(agent, "b.json", _response())
    assert agent.collect_answers() == 1
    _save(agent, "c.json", _response())
    assert agent.collect_answers() == 0
    assert not list((agent.options.data_dir / INBOX).glob("*.json"))
    # Without an id, the file's content is its identity: a second questionnaire is new.
    _save(agent, "d.json", _response(response_id=None))
    _save(agent, "e.json", _response(response_id=None) | {"authored": "2025-03-04T07:40:00Z"})
    assert agent.collect_answers() == 2
    _save(agent, "f.json", _response(response_id=None))
    assert agent.collect_answers() == 0
    assert len(_queued_entries(agent)) == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_response() | {"status": "in-progress"}, "status"),
        ({"resourceType": "Observation"}, "QuestionnaireResponse"),
        (_response(patient_id="P-9"), "patient P-9 is not served by this hub"),
        (b" " * 300_000, "more than"),
    ],
)
def test_an_answer_the_platform_would_refuse_is_set_aside_with_its_reason_and_counted(
    agent: Agent, content: bytes | dict[str, Any], reason: str
) -> None:
    _save(agent, "refused.json", content)
    _save(agent, "fine.json", _response())
    assert agent.collect_answers() == 1, "the good answer goes on its own"
    (entry,) = _queued_entries(agent)
    assert parse_questionnaire_response(entry).response_id == "qr-1"
    refused = agent.options.data_dir / REFUSED
    assert (refused / "refused.json").exists(), "kept for a look, not lost"
    assert reason in (refused / "refused.json.reason").read_text()
    assert agent.queue.stats().dropped["answers_refused"] == 1
    report = json.loads(agent.health_report())
    assert report["dropped"]["byReason"]["answers_refused"] == 1
