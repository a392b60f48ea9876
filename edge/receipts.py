"""Receipts from the platform: the message ids it has stored, found stored already, or kept
in dead letters or quarantine. Only a receipt takes a message out of the queue.

On `tilsyn/edge/{hub_id}/receipt`, QoS 1:
`{"hubId": "...", "messageIds": ["...", ...], "storedAt": "2026-11-23T04:20:00.123+00:00"}`.

A receipt that does not parse, or names another hub, is logged and ignored: the messages stay
queued and are sent again, which costs a duplicate at worst. Ids no longer queued (a second
receipt after a resend, or a message dropped meanwhile) are normal and ignored.

A receipt's `storedAt` is the platform's clock, read after the message was stored, so it is
never ahead of a right clock on the hub. When it is ahead by more than `CLOCK_TOLERANCE_S`, the
hub's clock runs behind (`ClockCheck`): the hub then says by how much in every message and
health report (`clockBehindS`), and the platform moves the message's times forward by it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.state import AgentState

log = logging.getLogger(__name__)

CLOCK_TOLERANCE_S = 600.0  # as the platform's: smaller differences are left alone
CLOCK_STATE_KEY = "clock_behind_s"


class Receipt(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    hub_id: str = Field(alias="hubId", min_length=1)
    message_ids: list[str] = Field(alias="messageIds", min_length=1)
    stored_at: datetime = Field(alias="storedAt")


def receipt_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/receipt"


class ClockCheck:
    """How far this hub's clock runs behind the platform's, from the receipts' `storedAt`.

    A receipt held back while the hub was offline looks older still, so it says nothing; a
    fresh one within the tolerance says the clock is right (again)."""

    def __init__(self, state: AgentState | None = None) -> None:
        """With `state`, what was learnt outlives a restart: the clock is no righter after
        one, and the messages sent before the first receipt would be stored early."""
        self._state = state
        saved = state.read(CLOCK_STATE_KEY) if state is not None else None
        self.behind_s = float(saved or 0.0)

    def observe(self, stored_at: float, now: float) -> None:
        before = self.behind_s
        ahead = stored_at - now
        if ahead > CLOCK_TOLERANCE_S:
            if not self.behind_s:
                log.warning("this hub's clock runs %.0f s behind the platform's", ahead)
            self.behind_s = ahead
        elif ahead > -CLOCK_TOLERANCE_S:
            self.behind_s = 0.0
        if self._state is not None and abs(self.behind_s - before) >= 1.0:
            self._state.write(CLOCK_STATE_KEY, self.behind_s)


def settle(hub_id: str, queue: DiskQueue, body: bytes, clock: ClockCheck | None = None) -> int:
    """Delete the queued messages a receipt for `hub_id` names; returns how many. The
    receipt's time goes to `clock`."""
    try:
        receipt = Receipt.model_validate_json(body)
    except ValidationError as error:
        log.warning("malformed receipt ignored: %s", _first_problem(error))
        return 0
    if receipt.hub_id != hub_id:
        log.warning("receipt for hub %s ignored: this is %s", receipt.hub_id, hub_id)
        return 0
    if clock is not None:
        clock.observe(receipt.stored_at.timestamp(), time.time())
    settled = queue.settle(receipt.message_ids)
    if settled < len(receipt.message_ids):
        log.info(
            "receipt names %d message ids not queued (receipted before or dropped)",
            len(receipt.message_ids) - settled,
        )
    return settled


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    return f"{where}: {problem['msg']}"
