"""Independent feasibility checkers for every plan the solvers return.

This package shares no code with the model-building side: it reads the problem as given (the
request dataclasses and a travel matrix) and the plan as returned, and recomputes every time,
load and distance by itself. Each checker returns a list of violations in plain words; an
empty list means the plan keeps every rule.
"""

from tilsyn.routing.checks.collection import check_collection_plan
from tilsyn.routing.checks.night import check_night_plan
from tilsyn.routing.checks.solomon import check_solomon

__all__ = ["check_collection_plan", "check_night_plan", "check_solomon"]
