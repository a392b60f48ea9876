"""`tilsyn news2`: score a set of vital signs from the command line, as one JSON object.

Every option may be left out; what is left out is listed under `missing`. Air or oxygen is
given as `--oxygen` or `--air`: leaving both out means "not known", not "on air", because a score
that silently assumed air would claim a completeness it does not have.
"""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import ValidationError

from tilsyn.cli import Subcommands
from tilsyn.platform.clinical.news2 import score
from tilsyn.platform.clinical.vitals import Vitals

# Vitals field -> the option that sets it, to name the option in error messages.
OPTIONS = {
    "respiration_rate": "--rr",
    "spo2": "--spo2",
    "spo2_scale": "--scale",
    "on_oxygen": "--oxygen/--air",
    "systolic_bp": "--sbp",
    "pulse": "--pulse",
    "consciousness": "--consciousness",
    "temperature_c": "--temp",
}


def register(subcommands: Subcommands) -> None:
    news2 = subcommands.add_parser(
        "news2",
        help="NEWS2 early warning score from vital signs",
        description="Score vital signs with NEWS2; print total, points, band, response, missing.",
    )
    news2.add_argument("--rr", dest="respiration_rate", type=float, help="respiration rate /min")
    news2.add_argument("--spo2", type=float, help="oxygen saturation %%")
    news2.add_argument("--scale", dest="spo2_scale", type=int, choices=(1, 2), default=1)
    air = news2.add_mutually_exclusive_group()
    air.add_argument("--oxygen", dest="on_oxygen", action="store_const", const=True)
    air.add_argument("--air", dest="on_oxygen", action="store_const", const=False)
    news2.add_argument("--sbp", dest="systolic_bp", type=float, help="systolic BP mmHg")
    news2.add_argument("--pulse", type=float, help="pulse /min")
    news2.add_argument("--consciousness", choices=("A", "C", "V", "P", "U"), help="ACVPU")
    news2.add_argument("--temp", dest="temperature_c", type=float, help="temperature °C")
    news2.set_defaults(handler=_news2)


def _news2(args: argparse.Namespace) -> int:
    fields = {name: getattr(args, name) for name in OPTIONS}
    try:
        vitals = Vitals.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        for problem in error.errors():
            option = OPTIONS.get(str(problem["loc"][0]), str(problem["loc"][0]))
            print(f"tilsyn news2: {option} {problem['input']}: {problem['msg']}", file=sys.stderr)
        return 2
    print(json.dumps(score(vitals).model_dump()))
    return 0
