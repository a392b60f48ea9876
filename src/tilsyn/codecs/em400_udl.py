"""Milesight EM400-UDL ultrasonic distance sensor with temperature (vendor decoder:
Milesight-IoT/SensorDecoders, em-series/em400-udl).

Alarm reports (83 67, 84 82) repeat the reading followed by an alarm byte: 1 while the
threshold alarm is raised, 0 when it is released.
"""

from __future__ import annotations

from tilsyn.codecs.milesight import MilesightModel
from tilsyn.codecs.milesight_blocks import flag_channel, tenths_channel, uint_channel, with_alarm

_TEMPERATURE = tenths_channel(0x03, 0x67, "temperature_c")
_DISTANCE = uint_channel(0x04, 0x82, "distance_mm", 2)

EM400_UDL = MilesightModel(
    "EM400-UDL",
    (
        uint_channel(0x01, 0x75, "battery_percent", 1, maximum=100),
        with_alarm(_TEMPERATURE, 0x83, "temperature_alarm"),
        _TEMPERATURE,
        with_alarm(_DISTANCE, 0x84, "distance_alarm"),
        _DISTANCE,
        flag_channel(0x05, 0x00, "tilt"),
    ),
)
