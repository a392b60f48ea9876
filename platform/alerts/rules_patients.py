"""Patient rules on each measurement: the patient's own thresholds, NEWS2 from the vitals at
hand (saying which parameters are missing), and the weight trend of heart failure; and on each
questionnaire answered, the colours of its answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.clinical.answers import QuestionnaireColours, judge_answers
from tilsyn.platform.clinical.news2 import score_readings
from tilsyn.platform.clinical.plan import Threshold, evaluate
from tilsyn.platform.clinical.trends import WEIGHT_GAIN, TrendRule, rule_findings
from tilsyn.platform.ingest.tables import Row
from tilsyn.platform.registry.models import Spo2Scale

# Vitals older than this do not take part in a NEWS2 score.
NEWS2_WINDOW = timedelta(hours=6)
NEWS2_FIELDS = {
    "respiratory_rate": "respiration_rate",
    "spo2": "spo2",
    "systolic_bp": "systolic_bp",
    "heart_rate": "pulse",
    "body_temperature": "temperature_c",
}
NEWS2_ALERT_BANDS: dict[str, Severity] = {
    "low-medium": "warning",
    "medium": "warning",
    "high": "critical",
}

# How far back the values a patient's NEWS2 last rested on are looked up (after a restart).
NEWS2_RECALL = timedelta(days=7)

WeightHistory = Callable[[str, datetime], Sequence[tuple[datetime, float]]]
# A patient's latest value of each NEWS2 kind at or before a time, within NEWS2_RECALL.
LatestVitals = Callable[[str, datetime], Mapping[str, tuple[datetime, float]]]


class PatientRules:
    def __init__(self, weight_history: WeightHistory, latest_vitals: LatestVitals) -> None:
        # Each patient's latest NEWS2 values, read from the database on first sight, so a
        # restart does not score the next reading alone (and clear an alert with it).
        self._latest: dict[str, dict[str, tuple[datetime, float]]] = {}
        self._weight_history = weight_history
        self._latest_vitals = latest_vitals

    def evaluate(
        self, row: Row, threshold: Threshold | None, unit: str, spo2_scale: Spo2Scale = 1
    ) -> list[Signal]:
        at, patient_id, kind, value = row[0], row[1], row[2], row[3]
        signals = []
        if threshold is not None:
            verdict = evaluate(threshold, value)
            signals.append(
                Signal(
                    "patient",
                    patient_id,
                    f"vital:{kind}",
                    verdict.colour != "green",
                    at,
                    "critical" if verdict.colour == "red" else "warning",
                    "home_care",
                    unit,
                    verdict.reason,
                    {"kind": kind, "value": value, "colour": verdict.colour},
                )
            )
        if kind in NEWS2_FIELDS:
            signals += self._news2(patient_id, kind, value, at, unit, spo2_scale)
        if kind == "body_weight":
            signals += self._weight_trend(patient_id, at, unit)
        return signals

    def _news2(
        self,
        patient_id: str,
        kind: str,
        value: float,
        at: datetime,
        unit: str,
        spo2_scale: Spo2Scale,
    ) -> list[Signal]:
        if patient_id not in self._latest:
            self._latest[patient_id] = dict(self._latest_vitals(patient_id, at))
        latest = self._latest[patient_id]
        if kind not in latest or latest[kind][0] <= at:
            latest[kind] = (at, value)
        recent = {NEWS2_FIELDS[k]: v for k, (t, v) in latest.items() if at - t <= NEWS2_WINDOW}
        result = score_readings(recent, spo2_scale)
        severity = NEWS2_ALERT_BANDS.get(result.band)
        if severity is None and _alerting_on_values_not_measured_again(
            latest, at, recent, spo2_scale
        ):
            # Calm only because the worrying values aged out, not because they were measured
            # again: an alert they raised stays until the patient measures them.
            return []
        detail = {
            "total": result.total,
            "band": result.band,
            "missing": list(result.missing),
            "complete": result.complete,
        }
        title = f"NEWS2 {result.total} ({result.band})" + (
            "" if result.complete else f", missing {', '.join(result.missing)}"
        )
        return [
            Signal(
                "patient",
                patient_id,
                "news2",
                severity is not None,
                at,
                severity or "warning",
                "home_care",
                unit,
                title,
                detail,
            )
        ]

    def _weight_trend(self, patient_id: str, at: datetime, unit: str) -> list[Signal]:
        history = self._weight_history(patient_id, at - WEIGHT_GAIN.window)
        series = [(t, v) for t, v in history if t <= at]
        # Up while this weighing still breaks the rule against the window's lowest, even if
        # it is a little under the episode's peak (the episode reports its largest change).
        if series and series[-1][0] == at and _breaks(series, WEIGHT_GAIN):
            episode = rule_findings(series, WEIGHT_GAIN)[-1]
            return [
                Signal(
                    "patient",
                    patient_id,
                    "weight_gain",
                    True,
                    at,
                    "critical",
                    "home_care",
                    unit,
                    episode.reason,
                    {"change_kg": round(episode.end_value - episode.start_value, 1)},
                )
            ]
        return [
            Signal(
                "patient",
                patient_id,
                "weight_gain",
                False,
                at,
                "critical",
                "home_care",
                unit,
                "weight stable",
            )
        ]


def answer_signals(row: Row, colours: QuestionnaireColours | None, unit: str) -> list[Signal]:
    """One alert per patient and questionnaire: up while the latest answers hold a yellow or
    red one, cleared by a set that is all green. A questionnaire without colours is stored
    and shown, not judged."""
    at, patient_id, questionnaire, answers = row[0], row[1], row[2], row[3]
    judged = judge_answers(colours, answers.obj if isinstance(answers, Jsonb) else answers)
    if judged.colour is None:
        return []
    return [
        Signal(
            "patient",
            patient_id,
            f"answers:{questionnaire}",
            judged.colour != "green",
            at,
            "critical" if judged.colour == "red" else "warning",
            "home_care",
            unit,
            f"{questionnaire}: {judged.reason}",
            {"questionnaire": questionnaire, "colour": judged.colour, "flags": list(judged.flags)},
        )
    ]


def _alerting_on_values_not_measured_again(
    latest: Mapping[str, tuple[datetime, float]],
    at: datetime,
    recent: Mapping[str, float],
    spo2_scale: Spo2Scale,
) -> bool:
    """Would the values that aged out of the window, taken with the recent ones, still
    score in an alert band?"""
    aged = {
        NEWS2_FIELDS[k]: v for k, (t, v) in latest.items() if NEWS2_WINDOW < at - t <= NEWS2_RECALL
    }
    if not aged:
        return False
    return score_readings({**aged, **recent}, spo2_scale).band in NEWS2_ALERT_BANDS


def _breaks(series: Sequence[tuple[datetime, float]], rule: TrendRule) -> bool:
    """Does the last value break `rule` against the extreme of the window before it?"""
    end_time, end_value = series[-1]
    window = [v for t, v in series[:-1] if end_time - t <= rule.window]
    if not window:
        return False
    if rule.change > 0:
        return end_value - min(window) >= rule.change
    return max(window) - end_value >= -rule.change
