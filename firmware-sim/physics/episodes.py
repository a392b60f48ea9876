"""Deterioration episodes: COPD exacerbations, heart-failure decompensation, infections.

An episode's effect rises linearly over its ramp, holds, and fades over its recovery; at full
effect it shifts each measurement by the scenario's `shift`. Episodes arrive as a Poisson
process per patient and kind, drawn per 30-day block so that any stretch of time gets the
same episodes whichever run asks; more can be started on demand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tilsyn.sim.scenario.specs_care import EpisodeParams, PatientSpec
from tilsyn.sim.seeding import substream

DAY_S = 86_400.0
BLOCK_S = 30 * DAY_S


@dataclass(frozen=True, slots=True)
class Episode:
    patient_id: str
    kind: str
    onset: float
    params: EpisodeParams
    severity: float = 1.0

    @property
    def end(self) -> float:
        p = self.params
        return self.onset + (p.ramp_days + p.plateau_days + p.recovery_days) * DAY_S

    def effect(self, at: float) -> float:
        """0 before and after, rising to `severity` over the ramp, fading over the recovery."""
        p, days = self.params, (at - self.onset) / DAY_S
        if days <= 0 or at >= self.end:
            return 0.0
        if days < p.ramp_days:
            return self.severity * days / p.ramp_days
        if days < p.ramp_days + p.plateau_days:
            return self.severity
        return self.severity * (self.end - at) / (p.recovery_days * DAY_S)


def eligible(patient: PatientSpec, params: EpisodeParams) -> bool:
    return not params.conditions or any(c in patient.conditions for c in params.conditions)


class EpisodeBook:
    """Every patient's episodes, drawn lazily per block, plus the ones started on demand."""

    def __init__(
        self, patients: Sequence[PatientSpec], kinds: Mapping[str, EpisodeParams], seed: int
    ) -> None:
        self.patients = {p.patient_id: p for p in patients}
        self.kinds, self.seed = kinds, seed
        self._blocks: dict[tuple[str, int], list[Episode]] = {}
        self._on_demand: dict[str, list[Episode]] = {}

    def _block(self, patient_id: str, block: int) -> list[Episode]:
        key = (patient_id, block)
        if key not in self._blocks:
            rng = substream(self.seed, "episodes", patient_id, block)
            found = []
            for kind, params in self.kinds.items():
                if not eligible(self.patients[patient_id], params):
                    continue
                for _ in range(int(rng.poisson(params.rate_per_year * BLOCK_S / (365.25 * DAY_S)))):
                    onset = (block + float(rng.random())) * BLOCK_S
                    found.append(Episode(patient_id, kind, onset, params))
            self._blocks[key] = found
        return self._blocks[key]

    def start(self, patient_id: str, kind: str, at: float, severity: float = 1.0) -> Episode:
        if patient_id not in self.patients:
            raise KeyError(f"no patient {patient_id!r}")
        episode = Episode(patient_id, kind, at, self.kinds[kind], severity)
        self._on_demand.setdefault(patient_id, []).append(episode)
        return episode

    def around(self, patient_id: str, at: float) -> list[Episode]:
        """Episodes of the patient that may be active at `at` (onset in the last 2 blocks)."""
        block = int(at // BLOCK_S)
        drawn = [e for b in (block - 1, block) for e in self._block(patient_id, b)]
        return drawn + self._on_demand.get(patient_id, [])

    def between(self, patient_id: str, start: float, end: float) -> list[Episode]:
        """Episodes with any effect in [start, end)."""
        blocks = range(int(start // BLOCK_S) - 1, int(end // BLOCK_S) + 1)
        candidates = [e for b in blocks for e in self._block(patient_id, b)]
        candidates += self._on_demand.get(patient_id, [])
        return [e for e in candidates if e.onset < end and e.end > start]
