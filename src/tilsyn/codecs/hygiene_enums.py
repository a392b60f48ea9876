"""Code tables of `tilsyn-hygiene-v1`. Code 0 is reserved everywhere, so an all-zero
(erased or uninitialised) buffer never decodes as a plausible message."""

from __future__ import annotations

from tilsyn.codecs.errors import DecodeError

FORMAT_VERSION = 1
DISPENSER_STATUS = 0x01
BADGE_EVENTS = 0x02

# Position + 1 is the code on the wire.
ROLES = ("nurse", "doctor", "care_assistant", "therapist", "cleaner", "other")
EVENTS = ("entry", "exit", "dispense")
ZONES = ("patient_zone", "clean_room", "unclean_room")


def name_of(table: tuple[str, ...], code: int, what: str, offset: int) -> str:
    """The name for a wire code; unknown codes are DecodeError at `offset`."""
    if not 1 <= code <= len(table):
        raise DecodeError(f"unknown {what} code {code}", offset)
    return table[code - 1]


def code_of(table: tuple[str, ...], name: object, what: str) -> int:
    if name not in table:
        raise ValueError(f"{what} must be one of {', '.join(table)}, got {name!r}")
    return table.index(name) + 1
