"""Storage: connections, migrations and the embedded development server.

Times come out of the database in UTC, whatever the server's or session's TimeZone. psycopg
would otherwise hand back datetimes in the session's zone (a ZoneInfo), and Python subtracts
two datetimes of one ZoneInfo on the wall clock: a night from 22:00 to 07:00 across the
autumn change would last 9 hours instead of 10.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader


class _UtcTimestamptzLoader(TimestamptzLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        return super().load(data).astimezone(UTC)


class _UtcTimestamptzBinaryLoader(TimestamptzBinaryLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        return super().load(data).astimezone(UTC)


psycopg.adapters.register_loader("timestamptz", _UtcTimestamptzLoader)
psycopg.adapters.register_loader("timestamptz", _UtcTimestamptzBinaryLoader)
