"""Patient rules on each measurement: the patient's own thresholds, NEWS2 from the vitals at
hand (saying which parameters are missing), and the weight trend of heart failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.clinical.news2 import score_readings
from tilsyn.platform.clinical.plan import Threshold, evaluate
from tilsyn.platform.clinical.trends import WEIGHT_GAIN, rule_findings
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

WeightHistory = Callable[[str, datetime], Sequence[tuple[datetime, float]]]


class PatientRules:
    def __init__(self, weight_history: WeightHistory) -> None:
        self._latest: dict[str, dict[str, tuple[datetime, float]]] = {}
        self._weight_history = weight_history

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
        latest = self._latest.setdefault(patient_id, {})
        if kind not in latest or latest[kind][0] <= at:
            latest[kind] = (at, value)
        recent = {NEWS2_FIELDS[k]: v for k, (t, v) in latest.items() if at - t <= NEWS2_WINDOW}
        result = score_readings(recent, spo2_scale)
        severity = NEWS2_ALERT_BANDS.get(result.band)
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
        series = self._weight_history(patient_id, at - WEIGHT_GAIN.window)
        findings = [f for f in rule_findings(series, WEIGHT_GAIN) if f.end_time == at]
        if findings:
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
                    findings[0].reason,
                    {"change_kg": round(findings[0].end_value - findings[0].start_value, 1)},
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
