"""Payload codecs: vendor byte layouts and our own, shared by the platform and the simulator.

`decode` is what ingest calls on every uplink; `encode` is its inverse, used by the firmware
simulator so that simulated devices send exactly the bytes real ones would.
"""

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.registry import CODEC_NAMES, decode, encode

__all__ = ["CODEC_NAMES", "DecodeError", "decode", "encode"]
