"""The names an operator may use for a device, resolved to the keys the simulator uses:
the DevEUI for LoRaWAN devices (given as DevEUI, device name or container id, which is the
device name of a container's sensor), the hub id for home-monitoring hubs."""

from __future__ import annotations

from tilsyn.sim.scenario.model import Scenario


class DeviceDirectory:
    def __init__(self, scenario: Scenario) -> None:
        network = scenario.network
        devices = network.devices if network is not None else ()
        self.by_name = {device.device_name: device.dev_eui for device in devices}
        self.codec = {
            device.dev_eui: network.profiles[device.profile].codec
            for device in devices
            if network is not None
        }
        self.hubs = {hub.hub_id for hub in scenario.hubs}
        self.scenario = scenario.name

    def key(self, device: str) -> str:
        if device.lower() in self.codec:
            return device.lower()
        if device in self.by_name:
            return self.by_name[device]
        if device in self.hubs:
            return device
        raise KeyError(f"no device {device!r} in scenario {self.scenario!r}")

    def dev_eui(self, device: str) -> str:
        key = self.key(device)
        if key not in self.codec:
            raise KeyError(f"{device!r} is not a LoRaWAN device of scenario {self.scenario!r}")
        return key
