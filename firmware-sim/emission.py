"""What leaves the simulator: one MQTT publish, at a simulated instant, on a real topic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Emission:
    """One MQTT message as a network server or an edge agent would publish it.

    `at` is the tz-aware UTC simulated instant of delivery to the broker (not the instant the
    device measured: that lies inside the payload), `payload` is the JSON body as bytes.
    """

    at: datetime
    topic: str
    payload: bytes
    qos: int

    def to_json_line(self) -> str:
        """One line of the `tilsyn sim run --out` file; the payload stays a JSON string."""
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "topic": self.topic,
                "qos": self.qos,
                "payload": self.payload.decode(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json_line(cls, line: str) -> Emission:
        record = json.loads(line)
        return cls(
            at=datetime.fromisoformat(record["at"]),
            topic=record["topic"],
            payload=record["payload"].encode(),
            qos=int(record["qos"]),
        )
