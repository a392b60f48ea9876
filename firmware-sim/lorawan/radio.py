"""EU868 radio: data rates, airtime, a log-distance link budget and reception per gateway.

Sources: LoRaWAN Regional Parameters RP002 (EU868 channels, data rates, payload sizes),
Semtech AN1200.13 (airtime) and SX1301 demodulation floors per spreading factor.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from tilsyn.sim.scenario.geo import distance_m
from tilsyn.sim.scenario.specs_lorawan import GatewaySpec, LorawanIdentity, RadioParams

CHANNELS_HZ = (
    868_100_000,
    868_300_000,
    868_500_000,
    867_100_000,
    867_300_000,
    867_500_000,
    867_700_000,
    867_900_000,
)
BANDWIDTH_HZ = 125_000
REQUIRED_SNR_DB = {7: -7.5, 8: -10.0, 9: -12.5, 10: -15.0, 11: -17.5, 12: -20.0}
MAX_PAYLOAD_BYTES = {0: 51, 1: 51, 2: 51, 3: 115, 4: 222, 5: 222}
LORAWAN_OVERHEAD_BYTES = 13  # MHDR 1, FHDR 7 (no FOpts), FPort 1, MIC 4
SNR_CEILING_DB = 12.0  # concentrators report at most about +10..+13 dB


def spreading_factor(data_rate: int) -> int:
    return 12 - data_rate


def airtime_s(sf: int, payload_bytes: int) -> float:
    """Time on air of an uplink with `payload_bytes` of FRMPayload (CR 4/5, explicit header)."""
    symbol = float(1 << sf) / BANDWIDTH_HZ
    low_rate = 1 if sf >= 11 else 0
    bits = 8 * (payload_bytes + LORAWAN_OVERHEAD_BYTES) - 4 * sf + 28 + 16
    symbols = 8 + max(math.ceil(bits / (4 * (sf - 2 * low_rate))) * 5, 0)
    return (8 + 4.25) * symbol + symbols * symbol


@dataclass(frozen=True, slots=True)
class Link:
    """The mean path from a device to one gateway (shadowing included, fading not)."""

    gateway: GatewaySpec
    rssi_dbm: float
    snr_db: float


@dataclass(frozen=True, slots=True)
class Reception:
    """One gateway's copy of one transmission, as its packet forwarder reports it."""

    gateway: GatewaySpec
    rssi: int
    snr: float
    channel: int
    frequency: int


def links_for(
    device: LorawanIdentity,
    gateways: Sequence[GatewaySpec],
    radio: RadioParams,
    rng: random.Random,
) -> list[Link]:
    """Mean link to every gateway, strongest first; shadowing is drawn once per pair."""
    links = []
    for gateway in gateways:
        d = max(distance_m(device.lat, device.lon, gateway.lat, gateway.lon), 1.0)
        path_loss = radio.path_loss_at_ref_db + 10 * radio.path_loss_exponent * math.log10(
            d / radio.ref_distance_m
        )
        rssi = (
            radio.tx_power_dbm
            + radio.antenna_gain_db
            - path_loss
            - device.extra_loss_db
            - rng.gauss(0, radio.shadowing_sigma_db)
        )
        links.append(Link(gateway, rssi, rssi - radio.noise_floor_dbm))
    return sorted(links, key=lambda link: -link.snr_db)


def usable(links: list[Link], sf: int, radio: RadioParams) -> list[Link]:
    """Links that fading could lift over the spreading factor's floor (4 sd); the gateways
    at the other ends practically never hear the device, so they need no draw."""
    floor = REQUIRED_SNR_DB[sf] - 4 * radio.fading_sigma_db
    return [link for link in links if link.snr_db >= floor]


def adr_data_rate(links: Sequence[Link], radio: RadioParams) -> int:
    """The data rate ChirpStack's ADR settles on: the fastest one that keeps the installation
    margin over the demodulation floor on the best link."""
    best = links[0].snr_db if links else -math.inf
    data_rate = 0
    while data_rate < 5:
        sf = spreading_factor(data_rate + 1)
        if best - REQUIRED_SNR_DB[sf] - radio.installation_margin_db < 0:
            break
        data_rate += 1
    return data_rate


def receive(
    links: Sequence[Link], sf: int, radio: RadioParams, rng: random.Random
) -> list[Reception]:
    """The gateways that demodulate one transmission, after this transmission's fading."""
    channel = rng.randrange(len(CHANNELS_HZ))
    found = []
    for link in links:
        fade = rng.gauss(0, radio.fading_sigma_db)
        snr = link.snr_db + fade
        if snr < REQUIRED_SNR_DB[sf]:
            continue
        reported = min(snr, SNR_CEILING_DB + rng.gauss(0, 0.7))
        found.append(
            Reception(
                gateway=link.gateway,
                rssi=round(link.rssi_dbm + fade),
                snr=round(reported * 4) / 4,  # the concentrator's 0.25 dB steps
                channel=channel,
                frequency=CHANNELS_HZ[channel],
            )
        )
    return found
