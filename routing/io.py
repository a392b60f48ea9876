"""Requests and plans as JSON: the shape the API, files and the command line exchange.

The problem dataclasses are the schema; pydantic validates incoming JSON against them (so every
`__post_init__` rule applies) and writes plans back out. Enumerations travel by name
(`"registered_nurse"`, `"urgent"`), times as seconds from the request's `origin`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from tilsyn.routing.nurse import LiveNight, NightPlanRequest
from tilsyn.routing.plans import Plan
from tilsyn.routing.waste import CollectionRequest

Request = TypeVar("Request", NightPlanRequest, CollectionRequest, LiveNight)


def load_request(path: Path, kind: type[Request]) -> Request:
    """Read and validate a request file; raises ValueError saying where and what is wrong."""
    try:
        return parse_request(json.loads(path.read_text()), kind)
    except ValidationError as error:
        raise ValueError(f"{path}: {validation_reasons(error)}") from None


def validation_reasons(error: ValidationError) -> str:
    """pydantic's errors on one line, each as `where: what` (the input echoed back left out)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'file'}: {e['msg']}" for e in error.errors()
    )


def parse_request(data: Any, kind: type[Request]) -> Request:
    return TypeAdapter(kind).validate_python(data)


def request_json(request: NightPlanRequest | CollectionRequest | LiveNight) -> Any:
    return TypeAdapter(type(request)).dump_python(request, mode="json")


def plan_json(plan: Plan) -> Any:
    """The plan with km per route and in total added, for people reading it."""
    data: dict[str, Any] = TypeAdapter(Plan).dump_python(plan, mode="json")
    for route, out in zip(plan.routes, data["routes"], strict=True):
        out["km"] = round(route.km, 3)
    data["km"] = round(plan.km, 3)
    return data
