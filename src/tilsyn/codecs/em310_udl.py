"""Milesight EM310-UDL ultrasonic distance sensor (vendor decoder: Milesight-IoT/SensorDecoders,
em-series/em310-udl). Vector `01755C03824408040001`: battery 92 %, distance 2116 mm, tilt."""

from __future__ import annotations

from tilsyn.codecs.milesight import MilesightModel
from tilsyn.codecs.milesight_blocks import flag_channel, uint_channel

EM310_UDL = MilesightModel(
    "EM310-UDL",
    (
        uint_channel(0x01, 0x75, "battery_percent", 1, maximum=100),
        uint_channel(0x03, 0x82, "distance_mm", 2),
        flag_channel(0x04, 0x00, "tilt"),
    ),
)
