"""Choosing today's containers from forecasts, and quiet hours cut out of service windows."""

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.routing.geo import Location
from tilsyn.routing.waste import CollectionRequest, ContainerStop, DisposalSite, Truck
from tilsyn.routing.waste_select import (
    ContainerForecast,
    SelectionPolicy,
    next_visit_hours,
    select_stops,
)

HERE = Location("here", 56.14, 8.97)


def forecast(fill, rate, sd=0.002, name="g"):
    return ContainerForecast(name, HERE, 3000, fill, rate, sd)


def test_risk_grows_with_time_and_fill():
    f = forecast(0.6, 0.01)
    assert f.overflow_risk(12) < f.overflow_risk(24) < f.overflow_risk(48)
    assert forecast(0.5, 0.01).overflow_risk(24) < forecast(0.7, 0.01).overflow_risk(24)
    assert forecast(1.0, 0.0).overflow_risk(1) == 1.0
    assert forecast(0.5, 0.01, sd=0).overflow_risk(49) == 0.0  # 0.5 + 0.49 stays below 1


def test_selection_sorts_into_mandatory_optional_and_left():
    policy = SelectionPolicy(next_visit_h=24, must_above=0.5, consider_above=0.05)
    chosen = {
        s.id: s
        for s in select_stops(
            [
                forecast(0.95, 0.01, name="full"),  # certain to overflow: mandatory
                forecast(0.70, 0.011, name="maybe"),  # 0.70 + 0.264 ± 0.048: small risk
                forecast(0.10, 0.01, name="empty"),  # nowhere near: left out
            ],
            policy,
        )
    }
    assert set(chosen) == {"full", "maybe"}
    assert chosen["full"].mandatory and not chosen["maybe"].mandatory
    risk = forecast(0.70, 0.011).overflow_risk(24)
    assert chosen["maybe"].skip_penalty == round(risk * policy.overflow_km * 1000)
    assert chosen["full"].volume_l == round(3000 * min(1.0, 0.95 + 0.01 * policy.visit_h))


def test_horizons_run_to_the_end_of_the_next_working_shift():
    monday, friday, saturday = 0, 4, 5
    assert next_visit_hours(monday, range(5), 15.0) == 24 + 15
    assert next_visit_hours(friday, range(5), 15.0) == 3 * 24 + 15, "over the weekend"
    assert next_visit_hours(saturday, range(5), 15.0) == 2 * 24 + 15
    assert next_visit_hours(monday, (0,), 15.0) == 7 * 24 + 15, "once a week"
    with pytest.raises(ValueError, match="at least one weekday"):
        next_visit_hours(monday, (), 15.0)


def test_policy_and_forecast_validation():
    with pytest.raises(ValueError):
        SelectionPolicy(must_above=0.1, consider_above=0.2)
    with pytest.raises(ValueError):
        ContainerForecast("x", HERE, 3000, 0.5, -0.1)


def request_with_quiet(quiet):
    truck = Truck("t", HERE, 20_000, 8_000, 0, 24 * 3600)
    site = DisposalSite("s", HERE, 600)
    return CollectionRequest(datetime(2025, 1, 1), (truck,), (site,), (), quiet_hours=quiet)


@given(
    quiet_start=st.integers(0, 20 * 3600),
    quiet_length=st.integers(1, 10 * 3600),
    service=st.integers(0, 1800),
    window=st.tuples(st.integers(0, 12 * 3600), st.integers(0, 12 * 3600)).map(sorted),
)
def test_quiet_windows_never_let_service_overlap_quiet_hours(
    quiet_start, quiet_length, service, window
):
    quiet = (quiet_start, quiet_start + quiet_length)
    stop = ContainerStop("c", HERE, 100, 30, service, (tuple(window),), quiet=True, mandatory=True)
    allowed = request_with_quiet((quiet,)).allowed_windows(stop, (0, 24 * 3600))
    for opens, closes in allowed:
        assert window[0] <= opens <= closes <= window[1]
        # The whole window lies before (service included) or after the quiet hours.
        assert closes + service <= quiet[0] or opens >= quiet[1]
    # Nothing allowed is lost: the window's edges survive when they are allowed.
    if window[0] + service <= quiet[0] or window[0] >= quiet[1]:
        assert allowed and allowed[0][0] == window[0]
