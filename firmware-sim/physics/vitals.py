"""Patients' bodies: personal baselines, day-to-day variation, episodes, device noise, and
the answers they give to their questionnaire."""

from __future__ import annotations

import random
from collections.abc import Mapping

from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.physics.episodes import EpisodeBook
from tilsyn.sim.scenario.specs_care import PatientSpec, QuestionSpec, Variation
from tilsyn.sim.seeding import python_stream

LIMITS = {"spo2": (50.0, 100.0)}  # a pulse oximeter never reads above 100 %
WELL_COMPLAINT_PROBABILITY = 0.05  # a bad day without an episode


class Physiology:
    """True and measured values of every patient's vital signs."""

    def __init__(
        self,
        variation: Mapping[str, Variation],
        episodes: EpisodeBook,
        calendar: LocalCalendar,
        seed: int,
    ) -> None:
        self.variation, self.episodes = variation, episodes
        self.calendar, self.seed = calendar, seed
        self._day_deviation: dict[tuple[str, str, int], float] = {}

    def _deviation(self, patient: PatientSpec, quantity: str, at: float) -> float:
        day = self.calendar.day_of(at)
        key = (patient.patient_id, quantity, day)
        if key not in self._day_deviation:
            rng = python_stream(self.seed, "vitals", patient.patient_id, quantity, day)
            self._day_deviation[key] = rng.gauss(0.0, self.variation[quantity].day)
        return self._day_deviation[key]

    def shift(self, patient: PatientSpec, quantity: str, at: float) -> float:
        """What active episodes add to the patient's value now."""
        return sum(
            e.params.shift.get(quantity, 0.0) * e.effect(at)
            for e in self.episodes.around(patient.patient_id, at)
        )

    def expected(self, patient: PatientSpec, quantity: str, at: float) -> float:
        """Baseline plus episodes, without the day's variation or the device's noise."""
        return patient.baseline[quantity] + self.shift(patient, quantity, at)

    def measure(self, patient: PatientSpec, quantity: str, at: float, rng: random.Random) -> float:
        """A reading as the home device reports it."""
        variation = self.variation[quantity]
        value = self.expected(patient, quantity, at) + self._deviation(patient, quantity, at)
        value += rng.gauss(0.0, variation.noise)
        low, high = LIMITS.get(quantity, (0.0, float("inf")))
        return round(min(max(value, low), high), variation.decimals)

    def answers(
        self, patient: PatientSpec, items: tuple[QuestionSpec, ...], at: float, rng: random.Random
    ) -> dict[str, str | bool]:
        """Questionnaire answers: worse answers grow likelier with an episode's effect."""
        strain: dict[str, float] = {}
        for episode in self.episodes.around(patient.patient_id, at):
            for question in episode.params.questions:
                strain[question] = max(strain.get(question, 0.0), episode.effect(at))
        answers: dict[str, str | bool] = {}
        for item in items:
            effect = min(strain.get(item.link_id, 0.0), 1.0)
            worse = (
                rng.random()
                < WELL_COMPLAINT_PROBABILITY + (0.9 - WELL_COMPLAINT_PROBABILITY) * effect
            )
            if item.options is None:
                answers[item.link_id] = worse
            elif not worse:
                answers[item.link_id] = item.options[0]
            else:
                level = 1 + round(effect * (len(item.options) - 2))
                answers[item.link_id] = item.options[min(level, len(item.options) - 1)]
        return answers
