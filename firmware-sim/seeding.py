"""Deterministic randomness: every component draws from its own stream derived from the seed.

Streams are keyed by names rather than by the order in which components ask for them, so adding
a device, a fault or a new component never changes what the others draw.
"""

from __future__ import annotations

import random
import zlib

import numpy as np

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def _spawn_key(names: tuple[str | int, ...]) -> tuple[int, ...]:
    # crc32 instead of hash(): Python's str hash is salted per process.
    return tuple(zlib.crc32(str(name).encode()) for name in names)


def substream(seed: int, *names: str | int) -> np.random.Generator:
    """A numpy generator that depends only on the seed and the names."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=_spawn_key(names))
    return np.random.default_rng(sequence)


def python_stream(seed: int, *names: str | int) -> random.Random:
    """A `random.Random` for per-event draws, where numpy's call overhead would dominate."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=_spawn_key(names))
    return random.Random(int(sequence.generate_state(2, np.uint64)[0]))


class IdFactory:
    """Identifiers that look random to the platform but repeat exactly for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid4(self) -> str:
        """A random (version 4, RFC 4122 variant) UUID string, without `uuid.UUID`'s cost."""
        value = self._rng.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def uint32(self) -> int:
        return self._rng.getrandbits(32)


def ulid(at_seconds: float, random_source: str) -> str:
    """A ULID (48-bit millisecond time, 80 bits from a uuid's hex digits) as The Things Stack
    uses in correlation ids; the same uplink always gets the same one."""
    entropy = int(random_source.replace("-", "")[-20:], 16)
    value = (int(at_seconds * 1000) << 80) | entropy
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def stable_uuid(seed: int, *names: str) -> str:
    """A uuid4-shaped id fixed by the seed and names (tenant, application and profile ids)."""
    return IdFactory(python_stream(seed, "uuid", *names)).uuid4()
