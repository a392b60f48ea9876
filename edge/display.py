"""What the patient sees when a reading is red and the hub cannot reach the platform.

Online, staff see the red reading on the triage board and call; offline, nobody would, so the
hub shows the instruction from the patient's own plan ("take your rescue pack, call the
emergency number"). A `PatientDisplay` is the hub's screen; tests and headless gateways use a
file or the console.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TextIO

from tilsyn.edge.config import ConfigStore
from tilsyn.edge.readings import Reading
from tilsyn.platform.clinical.plan import Evaluation, evaluate


class PatientDisplay(Protocol):
    def show(self, patient_id: str, instruction: str, reasons: Sequence[str]) -> None: ...


class ConsoleDisplay:
    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    def show(self, patient_id: str, instruction: str, reasons: Sequence[str]) -> None:
        print(f"[{patient_id}] {instruction} ({'; '.join(reasons)})", file=self.stream, flush=True)


class FileDisplay:
    """One JSON line per instruction shown, appended to a file another program renders."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def show(self, patient_id: str, instruction: str, reasons: Sequence[str]) -> None:
        line = {"patientId": patient_id, "instruction": instruction, "reasons": list(reasons)}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


class LocalAdvisor:
    """Colours readings by the patient's plan; while offline, shows the plan's instruction for
    the worst colour: red's, else yellow's ("call the patient" cannot happen offline, so the
    patient is told what the plan says to do)."""

    def __init__(
        self, config: ConfigStore, display: PatientDisplay, offline: Callable[[], bool]
    ) -> None:
        self.config, self.display, self.offline = config, display, offline

    def judged(self, reading: Reading) -> list[Evaluation]:
        """The reading's values outside green by the patient's plan."""
        plan = self.config.patient(reading.patient_id)
        if plan is None:
            return []
        found = [
            evaluate(plan.thresholds[kind], value)
            for kind, value in reading.plan_values().items()
            if kind in plan.thresholds
        ]
        return [e for e in found if e.colour != "green"]

    def review(self, readings: Sequence[Reading]) -> int:
        """Show the instruction for each red or yellow reading if offline; returns how many
        were shown."""
        shown = 0
        for reading in readings:
            plan = self.config.patient(reading.patient_id)
            judged = self.judged(reading)
            if plan is None or not judged or not self.offline():
                continue
            worst = "red" if any(e.colour == "red" for e in judged) else "yellow"
            instruction = plan.instructions.red if worst == "red" else plan.instructions.yellow
            if instruction:
                reasons = [e.reason for e in judged if e.colour == worst]
                self.display.show(reading.patient_id, instruction, reasons)
                shown += 1
        return shown
