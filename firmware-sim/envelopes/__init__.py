"""The JSON envelopes integrations publish: ChirpStack v4, The Things Stack v3, our edge agent."""

from tilsyn.sim.envelopes.chirpstack import ChirpStackFormat
from tilsyn.sim.envelopes.tts import TtsFormat

LORAWAN_FORMATS = ("chirpstack", "tts")

__all__ = ["LORAWAN_FORMATS", "ChirpStackFormat", "TtsFormat"]
