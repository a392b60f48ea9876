"""The Solomon checker catches each kind of broken solution (it must be able to fail)."""

from pathlib import Path

from tilsyn.routing.checks import check_solomon
from tilsyn.routing.solomon import read_instance, total_distance

TINY = read_instance(Path(__file__).parent / "data" / "tiny6.txt")
GOOD = ((1, 2), (5, 6), (3, 4))


def test_a_good_solution_passes():
    assert check_solomon(TINY, GOOD, total_distance(TINY, GOOD)) == []


def test_missing_and_repeated_customers():
    problems = check_solomon(TINY, ((1, 2), (5, 6), (3, 3)))
    assert "customer 3 visited 2 times" in problems
    assert "customer 4 not visited" in problems


def test_capacity():
    problems = check_solomon(TINY, ((1, 2, 5), (6,), (3, 4)))
    assert "route 1: load 35 exceeds capacity 30" in problems


def test_late_arrival():
    # Customer 1 is due at 60; after 4 (ready 100) it is far too late.
    problems = check_solomon(TINY, ((3, 4, 1), (2,), (5, 6)))
    assert any("customer 1 starts" in p for p in problems)


def test_too_many_routes():
    problems = check_solomon(TINY, ((1,), (2,), (3, 4), (5, 6)))
    assert any("only 3 vehicles" in p for p in problems)


def test_wrong_cost():
    problems = check_solomon(TINY, GOOD, total_distance(TINY, GOOD) + 0.1)
    assert any("reported cost" in p for p in problems)
