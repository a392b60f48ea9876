"""Solomon reading, the benchmark's distance convention, and the solver on tiny and real data."""

import itertools
import json
import os
from pathlib import Path

import pytest

from tilsyn.cli import main
from tilsyn.routing.checks import check_solomon
from tilsyn.routing.params import Stop
from tilsyn.routing.solomon import (
    distance_tenths,
    read_best_known,
    read_instance,
    resolve_instance,
    solomon_dir,
    total_distance,
)
from tilsyn.routing.solomon_solver import SolomonParams, solve_solomon

DATA = Path(__file__).parent / "data"
TINY = read_instance(DATA / "tiny6.txt")
SHARED = solomon_dir()
needs_shared = pytest.mark.skipif(
    not (SHARED / "R101.txt").is_file(), reason="Solomon set not present"
)


def test_reads_header_and_rows():
    assert (TINY.name, TINY.vehicles, TINY.capacity, TINY.size) == ("TINY6", 3, 30, 7)
    assert TINY.customers[4].ready == 100 and TINY.customers[4].due == 150


def test_distance_is_truncated_not_rounded():
    a, b = TINY.customers[0], TINY.customers[2]  # (50,50)-(70,55): sqrt(425) = 20.6155...
    assert distance_tenths(a, b) == 206
    c = TINY.customers[1]  # exactly 10 apart: no float error may push it to 99
    assert distance_tenths(a, c) == 100


def brute_force_optimum(instance):
    """Every order of the customers cut into at most `vehicles` routes; the checker decides."""
    best = None
    customers = range(1, instance.size)
    for order in itertools.permutations(customers):
        for cuts in itertools.combinations(range(1, len(order)), instance.vehicles - 1):
            bounds = [0, *cuts, len(order)]
            routes = [order[a:b] for a, b in itertools.pairwise(bounds)]
            if not check_solomon(instance, routes):
                cost = total_distance(instance, routes)
                best = cost if best is None else min(best, cost)
    return best


def test_solver_finds_the_optimum_of_a_tiny_instance():
    result = solve_solomon(TINY, Stop(seconds=1))
    assert result.feasible
    assert check_solomon(TINY, result.routes, result.cost) == []
    assert result.cost == pytest.approx(brute_force_optimum(TINY))


def test_seed_relabels_but_answers_in_original_numbers():
    result = solve_solomon(TINY, Stop(seconds=0.5), seed=7)
    assert sorted(c for r in result.routes for c in r) == list(range(1, 7))
    assert check_solomon(TINY, result.routes, result.cost) == []


def test_parallel_workers_return_the_best_run():
    result = solve_solomon(TINY, Stop(seconds=0.5), params=SolomonParams(workers=2))
    assert result.feasible and check_solomon(TINY, result.routes, result.cost) == []
    with pytest.raises(ValueError):
        SolomonParams(workers=0)


@needs_shared
def test_best_known_files_meet_the_convention():
    """The .sol routes, measured with our distances, give exactly their stated cost."""
    for name in ("R101", "C201", "RC105"):
        instance = read_instance(SHARED / f"{name}.txt")
        best = read_best_known(SHARED / f"{name}.sol")
        assert check_solomon(instance, best.routes, best.cost) == []


@needs_shared
def test_r101_in_two_seconds_is_feasible_and_close():
    instance = read_instance(resolve_instance("R101"))
    result = solve_solomon(instance, Stop(seconds=2))
    assert check_solomon(instance, result.routes, result.cost) == []
    best = read_best_known(SHARED / "R101.sol").cost
    assert result.cost < best * 1.08  # 2 s on a shared machine; bench.py measures properly


@needs_shared
def test_cli_prints_one_json_object(capsys):
    assert main(["route", "solomon", "C101", "--seconds", "1", "--seed", "2"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"cost", "vehicles", "routes", "feasible"}
    instance = read_instance(resolve_instance("C101"))
    assert answer["vehicles"] == len(answer["routes"])
    assert check_solomon(instance, answer["routes"], answer["cost"]) == []


def test_cli_explains_a_missing_instance(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TILSYN_SOLOMON_DIR", os.fspath(tmp_path))
    assert main(["route", "solomon", "R999", "--seconds", "1"]) == 2
    assert "no Solomon instance 'R999'" in capsys.readouterr().err
