"""Where fill-sensor reports go: encoded onto LoRaWAN, or into a log for studies and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tilsyn.codecs import encode
from tilsyn.sim.devices.config_downlinks import parse_interval
from tilsyn.sim.devices.container_payload import Report, report_fields
from tilsyn.sim.lorawan.network import LorawanNetwork

if TYPE_CHECKING:
    from tilsyn.sim.devices.containers import ContainerFleet


class LorawanSink:
    """Encodes each report with the device's codec and sends it; airtime drains the battery
    and configuration downlinks heard in the receive window reconfigure the device."""

    def __init__(self, network: LorawanNetwork) -> None:
        self.network = network

    def __call__(self, fleet: ContainerFleet, report: Report) -> None:
        i, spec = report.index, fleet.specs[report.index]
        battery = fleet.battery
        fields = report_fields(spec.codec, report, battery)
        session = self.network.sessions[spec.dev_eui]
        tx = self.network.transmit(
            spec.dev_eui,
            report.at,
            session.device.profile.f_port,
            encode(spec.codec, fields),
            confirmed=report.confirmed,
        )
        battery.spend(i, fleet.firmware.tx_current_ma * tx.airtime_s / 3600)
        for f_port, data in tx.downlinks:
            seconds = parse_interval(spec.codec, f_port, data)
            if seconds is not None:
                fleet.configure_interval(i, seconds, report.at)


class ReportLog:
    """Keeps every report, as decoded data would show it, without the radio in between."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def __call__(self, fleet: ContainerFleet, report: Report) -> None:
        self.reports.append(report)
