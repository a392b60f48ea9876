"""A cursor over payload bytes whose every read names the byte offset when it fails."""

from __future__ import annotations

from typing import Literal

from tilsyn.codecs.errors import DecodeError

ByteOrder = Literal["little", "big"]


class ByteReader:
    """Reads fixed-width integers from a payload, front to back.

    Running off the end raises DecodeError at the payload length: that is the first byte
    the payload would have needed and did not carry.
    """

    def __init__(self, payload: bytes, byteorder: ByteOrder = "little") -> None:
        self.payload = payload
        self.byteorder: ByteOrder = byteorder
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self.payload) - self.offset

    def take(self, size: int, what: str) -> bytes:
        """The next `size` bytes; `what` names the field for the error message."""
        end = self.offset + size
        if end > len(self.payload):
            raise DecodeError(
                f"payload truncated: {what} needs {size} byte(s) from byte {self.offset}, "
                f"but the payload has only {len(self.payload)}",
                len(self.payload),
            )
        chunk = self.payload[self.offset : end]
        self.offset = end
        return chunk

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), self.byteorder)

    def sint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), self.byteorder, signed=True)

    def bounded(self, size: int, what: str, maximum: int) -> int:
        """An unsigned field whose values above `maximum` cannot come from a working device."""
        start = self.offset
        value = self.uint(size, what)
        if value > maximum:
            raise DecodeError(f"{what} {value} is impossible (at most {maximum})", start)
        return value

    def flag(self, what: str) -> bool:
        """A one-byte 0/1 flag; any other value is a layout mismatch, not "true"."""
        return bool(self.bounded(1, what, 1))

    def expect_end(self) -> None:
        """Trailing bytes mean a layout mismatch, not extra data to ignore."""
        if self.remaining:
            raise DecodeError(f"{self.remaining} unexpected trailing bytes", self.offset)
