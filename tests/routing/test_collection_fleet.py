"""The collection fleet file: Herning's as shipped, quiet hours over midnight, and files that do
not describe a fleet refused with the place and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tilsyn.routing.collection_fleet import (
    HERNING_FLEET_FILE,
    FleetFileError,
    load_collection_fleet,
    quiet_windows,
)

HOUR = 3600


def test_herning_has_its_own_trucks_and_tip_for_each_kind() -> None:
    services = load_collection_fleet()
    assert sorted(services) == ["glass", "paper", "residual"]
    residual = services["residual"]
    assert [t.id for t in residual.fleet.trucks] == ["residual-1", "residual-2"]
    assert [d.id for d in residual.fleet.disposal_sites] == ["transfer-station"]
    assert residual.service_s == 90 and not residual.quiet
    glass = services["glass"]
    assert [d.id for d in glass.fleet.disposal_sites] == ["recycling-centre"]
    assert glass.fleet.disposal_sites[0].service == 15 * 60
    truck = glass.fleet.trucks[0]
    assert (truck.capacity_l, truck.capacity_kg) == (30_000, 10_000)
    assert (truck.shift_start, truck.shift_end, truck.max_shift) == (6 * HOUR, 15 * HOUR, 8 * HOUR)
    assert glass.quiet and glass.fleet.max_tips == 4
    assert glass.fleet.quiet_hours == ((-2 * HOUR, 7 * HOUR), (22 * HOUR, 31 * HOUR))


def test_quiet_hours_within_a_day_are_one_window() -> None:
    assert quiet_windows("12:00", "13:30") == ((12 * HOUR, 13 * HOUR + 1800),)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = HERNING_FLEET_FILE.read_text(encoding="utf-8")
    assert old in text, "the shipped file changed; update this test"
    path = tmp_path / "fleet.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('disposal_site = "transfer-station"', 'disposal_site = "dump"', "'dump' is not among"),
        ('end = "15:00"', 'end = "05:00"', "shift: Value error, a shift must end after"),
        ('start = "22:00"', 'start = "25:00"', "quiet_hours.start: String should match"),
        ("trucks = 2", "trucks = 0", "kinds.glass.trucks: Input should be greater than 0"),
        ("truck_litres = 30_000", "truck_liters = 30_000", "kinds.glass.truck_liters: Extra"),
        ("density_kg_per_l = 0.30", "density_kg_per_l = ", "Invalid value"),
    ],
)
def test_a_file_that_is_not_a_fleet_is_refused_with_the_place_and_reason(
    tmp_path: Path, old: str, new: str, reason: str
) -> None:
    with pytest.raises(FleetFileError, match="collection fleet file") as raised:
        load_collection_fleet(_broken(tmp_path, old, new))
    assert reason in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FleetFileError, match=r"nowhere\.toml"):
        load_collection_fleet(tmp_path / "nowhere.toml")
