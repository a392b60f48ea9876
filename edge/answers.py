"""Questionnaire answers from the patient's app on the hub, queued for the platform like readings.

The app saves each completed questionnaire as one FHIR R4 QuestionnaireResponse, a JSON file in
`<data dir>/answers-inbox/`, written under another name and renamed to `*.json` when whole, so
a half-written file is never read. The inbox is the answers' store until they are queued: the
agent queues a file's answer and remembers its identity in one transaction, then removes the
file, so a file left behind by a crash in between is removed without being sent twice.

A file the platform would refuse (not a completed QuestionnaireResponse, a patient this hub
does not serve) would hold up the message it travels in, so it is not sent: it moves to
`answers-refused/` with the reason in a `.reason` file beside it, and is counted as a drop
(`answers_refused`) in the hub's health report, which the platform shows with the hub.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.questionnaire import parse_questionnaire_response

log = logging.getLogger(__name__)

INBOX = "answers-inbox"
REFUSED = "answers-refused"
MAX_FILE_BYTES = 256 * 1024  # a questionnaire is a few kB; anything near this is not one
# Identities of queued answers are kept this long: far longer than a file can lie in the
# inbox after its answer was queued (until the next tick).
REMEMBER_S = 30 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class InboxAnswer:
    path: Path
    identity: str  # the response's id, or the file's hash when it has none
    entry: dict[str, Any]  # the QuestionnaireResponse as sent


class AnswerInbox:
    def __init__(self, data_dir: Path) -> None:
        self.inbox = data_dir / INBOX
        self.refused = data_dir / REFUSED
        self.inbox.mkdir(parents=True, exist_ok=True)

    def read(self, served: Collection[str]) -> tuple[list[InboxAnswer], int]:
        """The inbox's answers in file-name order, and how many files were refused (moved)."""
        found, refused = [], 0
        for path in sorted(self.inbox.glob("*.json")):
            try:
                found.append(_answer(path, served))
            except (ValueError, OSError) as error:
                self._refuse(path, str(error))
                refused += 1
        return found, refused

    def _refuse(self, path: Path, reason: str) -> None:
        self.refused.mkdir(exist_ok=True)
        path.replace(self.refused / path.name)
        (self.refused / f"{path.name}.reason").write_text(reason + "\n")
        log.warning("questionnaire answer %s refused: %s", path.name, reason)


def _answer(path: Path, served: Collection[str]) -> InboxAnswer:
    body = path.read_bytes()
    if len(body) > MAX_FILE_BYTES:
        raise ValueError(f"{len(body)} bytes, more than {MAX_FILE_BYTES}")
    try:
        entry = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not JSON: {error}") from error
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    try:
        response = parse_questionnaire_response(entry)
    except DecodeError as error:
        raise ValueError(str(error)) from error
    if response.patient_id not in served:
        raise ValueError(f"patient {response.patient_id} is not served by this hub")
    identity = response.response_id or "sha256:" + hashlib.sha256(body).hexdigest()
    return InboxAnswer(path, identity, entry)


def not_taken(conn: sqlite3.Connection, found: Sequence[InboxAnswer]) -> list[InboxAnswer]:
    """The answers not queued before (by this hub: a file left behind by a crash, a file the
    app saved twice), each once."""
    new: dict[str, InboxAnswer] = {}
    for answer in found:
        taken = conn.execute(
            "SELECT 1 FROM answers_taken WHERE identity = ?", (answer.identity,)
        ).fetchone()
        if taken is None:
            new.setdefault(answer.identity, answer)
    return list(new.values())


def remember_taken(conn: sqlite3.Connection, identities: Collection[str], at: float) -> None:
    conn.executemany(
        "INSERT INTO answers_taken (identity, taken_at) VALUES (?, ?)",
        [(identity, at) for identity in identities],
    )
    conn.execute("DELETE FROM answers_taken WHERE taken_at < ?", (at - REMEMBER_S,))
