"""The one error every decoder raises, so callers can catch malformed input in one place."""

from __future__ import annotations


class DecodeError(ValueError):
    """A payload or document that cannot be decoded.

    `offset` is the byte offset of the problem in a binary payload: the first byte that is
    wrong or, for a truncated payload, the first byte that is missing (the payload length).
    It is None for problems without a position, such as a bad FHIR document.
    """

    def __init__(self, reason: str, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(reason if offset is None else f"at byte {offset}: {reason}")
