"""Loading scenario files (TOML in `firmware-sim/scenarios/`) into `Scenario` records."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tilsyn.sim.faults import Fault
from tilsyn.sim.scenario.herning import build_herning
from tilsyn.sim.scenario.homecare import build_homecare
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.scenario.trondheim import build_trondheim
from tilsyn.sim.scenario.ward import build_ward

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
Builder = Callable[[int, Mapping[str, Any]], dict[str, Any]]
BUILDERS: dict[str, Builder] = {
    "waste": build_herning,
    "hospital": build_ward,
    "homecare": build_homecare,
    "night-nursing": build_trondheim,
}


def scenario_names() -> list[str]:
    """The scenarios shipped with the simulator."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def _path_of(name: str) -> Path:
    if name.endswith(".toml"):
        return Path(name)
    path = SCENARIO_DIR / f"{name}.toml"
    if not path.exists():
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(scenario_names())}")
    return path


def _faults(raw: list[Mapping[str, Any]], start: datetime) -> tuple[Fault, ...]:
    """`[[faults]]` tables: times are hours after the scenario's default start."""
    base = start.timestamp()
    return tuple(
        Fault(
            kind=entry["kind"],
            device=str(entry["device"]),
            start=base + float(entry["start_hours"]) * 3600,
            end=base + float(entry["end_hours"]) * 3600,
            magnitude=float(entry["magnitude"]) if "magnitude" in entry else None,
        )
        for entry in raw
    )


def _read(name: str) -> dict[str, Any]:
    """A scenario file; `inherit = {scenario, tables}` copies tables the file leaves out."""
    params = tomllib.loads(_path_of(name).read_text(encoding="utf-8"))
    inherit = params.get("inherit")
    if inherit:
        parent = _read(str(inherit["scenario"]))
        for table in inherit["tables"]:
            params.setdefault(table, parent[table])
    return params


def _merged(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_scenario(name: str, seed: int, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario by name (see `scenario_names`) or by the path of a `.toml` file.

    `overrides` replaces parameters of the file, table by table (e.g. a smaller town for a
    quick test: `{"kinds": {"glass": {"count": 20}}}`). The same name, seed and overrides
    give the same scenario, record for record.
    """
    params = _merged(_read(name), overrides or {})
    kind = str(params["kind"])
    if kind not in BUILDERS:
        raise ValueError(f"scenario kind {kind!r} unknown; known: {', '.join(BUILDERS)}")
    start = datetime.fromisoformat(str(params["default_start"]))
    if start.tzinfo is None:
        raise ValueError("default_start needs a UTC offset")
    return Scenario(
        name=str(params["name"]),
        kind=kind,
        seed=seed,
        description=str(params["description"]),
        timezone=str(params["timezone"]),
        default_start=start,
        default_days=float(params.get("days", 1)),
        parameters=params,
        faults=_faults(params.get("faults", []), start),
        **BUILDERS[kind](seed, params),
    )
