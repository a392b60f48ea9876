"""Hand-hygiene opportunities of one badge: the WHO rules, windows, reach, anonymity, and
incremental aggregation of out-of-order, duplicated and late messages.

Messages go through the real tilsyn-hygiene-v1 encoder and decoder, so they have exactly the
shape ingest hands over.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.codecs import decode, encode
from tilsyn.codecs.hygiene_enums import ROLES, ZONES
from tilsyn.platform.hygiene.aggregator import BadgeAggregator, day_counts
from tilsyn.platform.hygiene.counts import Cell, ComplianceCount, DroppedCount, Outcome, merge
from tilsyn.platform.hygiene.events import events_of
from tilsyn.platform.hygiene.matching import BadgeTimeline
from tilsyn.platform.hygiene.site import Role, Site, Zone, ZoneType

# 2024-03-04 08:00:00 Europe/Oslo (07:00 UTC), a Monday.
T0 = 1709535600

BED_1, BED_2, MEDICATION_ROOM, SLUICE, BED_B = 1, 2, 10, 20, 30
DOOR_1, SHARED, DOOR_2, MED_DISPENSER, SLUICE_DISPENSER, CORRIDOR, B_DISPENSER = (
    100,
    101,
    102,
    110,
    120,
    199,
    130,
)

Event = tuple[int, str, str, int]


def make_site() -> Site:
    return Site(
        zones={
            BED_1: Zone("ward A", "patient_zone", frozenset({DOOR_1, SHARED})),
            BED_2: Zone("ward A", "patient_zone", frozenset({SHARED, DOOR_2})),
            MEDICATION_ROOM: Zone("ward A", "clean_room", frozenset({MED_DISPENSER})),
            SLUICE: Zone("ward A", "unclean_room", frozenset({SLUICE_DISPENSER})),
            BED_B: Zone("ward B", "patient_zone", frozenset({B_DISPENSER})),
        }
    )


def badge_message(time: int, *events: Event, role: str = "nurse") -> dict[str, Any]:
    """A decoded badge_events message; events are (offset_s, event, zone, ref)."""
    fields = {
        "message": "badge_events",
        "time": time,
        "role": role,
        "events": [
            {"offset_s": offset, "event": event, "zone": zone, "ref": ref}
            for offset, event, zone, ref in events
        ],
    }
    return decode("tilsyn-hygiene-v1", encode("tilsyn-hygiene-v1", fields))


def rub(offset: int, dispenser: int) -> Event:
    return (offset, "dispense", "patient_zone", dispenser)


def enter(offset: int, zone_id: int, zone: str = "patient_zone") -> Event:
    return (offset, "entry", zone, zone_id)


def leave(offset: int, zone_id: int, zone: str = "patient_zone") -> Event:
    return (offset, "exit", zone, zone_id)


def decisions(*events: Event) -> list[bool]:
    """Met or not for each opportunity of one message, in the order they are decided (by the
    end of their window: an entry's ends 30 s after it, an exit's 60 s after)."""
    timeline = BadgeTimeline(make_site())
    for event in events_of(badge_message(T0, *sorted(events))):
        timeline.add(event)
    return [outcome.met for outcome in timeline.decide(T0 + 10_000)]


def totals(counts: list[ComplianceCount]) -> tuple[int, int]:
    return sum(c.opportunities for c in counts), sum(c.met for c in counts)


def test_entry_without_a_rub_is_missed():
    assert decisions(enter(0, BED_1)) == [False]


@pytest.mark.parametrize(
    ("rub_at", "met"), [(39, False), (40, True), (100, True), (130, True), (131, False)]
)
def test_entry_window_is_60_s_before_to_30_s_after(rub_at, met):
    assert decisions(enter(100, BED_1), rub(rub_at, DOOR_1)) == [met]


@pytest.mark.parametrize(
    ("rub_at", "met"), [(69, False), (70, True), (100, True), (160, True), (161, False)]
)
def test_exit_window_is_30_s_before_to_60_s_after(rub_at, met):
    assert decisions(leave(100, BED_1), rub(rub_at, DOOR_1)) == [met]


@pytest.mark.parametrize("dispenser", [CORRIDOR, DOOR_2, MED_DISPENSER])
def test_a_rub_out_of_reach_of_the_zone_does_not_count(dispenser):
    assert decisions(rub(0, dispenser), enter(10, BED_1)) == [False]
    assert decisions(rub(0, DOOR_1), enter(10, BED_1)) == [True]


def test_which_crossings_are_opportunities():
    day = day_counts(
        [
            [
                badge_message(
                    T0,
                    enter(0, MEDICATION_ROOM, "clean_room"),
                    rub(5, MED_DISPENSER),
                    leave(100, MEDICATION_ROOM, "clean_room"),
                    enter(200, SLUICE, "unclean_room"),
                    leave(300, SLUICE, "unclean_room"),
                )
            ]
        ],
        make_site(),
    )
    assert [(c.zone_type, c.opportunities, c.met) for c in day] == [
        ("clean_room", 1, 1),
        ("unclean_room", 1, 0),
    ]


def test_one_rub_between_two_patients_covers_leaving_one_and_entering_the_next():
    assert decisions(leave(0, BED_1), rub(10, SHARED), enter(20, BED_2)) == [True, True]


def test_one_rub_cannot_be_both_before_and_after_the_same_patient():
    assert decisions(enter(0, BED_1), rub(10, DOOR_1), leave(20, BED_1)) == [True, False]
    both = decisions(enter(0, BED_1), rub(10, DOOR_1), leave(20, BED_1), rub(25, DOOR_1))
    assert both == [True, True]


def test_a_rub_after_leaving_is_not_the_before_moment():
    events = (enter(0, BED_1), leave(10, BED_1), rub(20, DOOR_1), rub(25, DOOR_1))
    assert decisions(*events) == [False, True]


def test_a_rub_before_entering_is_not_the_after_moment():
    events = (rub(0, DOOR_1), rub(5, DOOR_1), enter(10, BED_1), leave(20, BED_1))
    assert decisions(*events) == [True, False]


def test_a_rub_before_one_patient_does_not_count_for_the_next():
    """The hands touched patient 1 between the rub and entering bed 2."""
    events = (rub(0, SHARED), enter(5, BED_1), leave(40, BED_1), enter(50, BED_2))
    # Decided by window end: entry bed 1, entry bed 2, exit bed 1.
    assert decisions(*events) == [True, False, False]


def test_a_rub_after_the_next_patient_does_not_count_for_leaving_the_first():
    events = (
        enter(0, BED_1),
        rub(1, SHARED),
        leave(20, BED_1),
        enter(25, BED_2),
        leave(45, BED_2),
        rub(55, SHARED),
    )
    # Entry bed 1 (the rub at 1 s), entry bed 2, exit bed 1, exit bed 2 (the rub at 55 s):
    # 2 of 4, where a rub reused across the two patients made it 4 of 4.
    assert decisions(*events) == [True, False, False, True]


def test_a_visit_to_another_room_in_between_parts_a_rub_from_the_bed():
    events = (
        rub(0, SHARED),
        enter(10, SLUICE, "unclean_room"),
        leave(30, SLUICE, "unclean_room"),
        enter(50, BED_1),
    )
    assert decisions(*events) == [False, False]  # entry bed 1, exit sluice


def test_stepping_out_rubbing_and_returning_to_the_same_bed_meets_both_moments():
    assert decisions(leave(0, BED_1), rub(10, DOOR_1), enter(20, BED_1)) == [True, True]


def test_cells_carry_ward_zone_type_local_day_and_role_only():
    half_past_midnight = T0 - 7 * 3600 - 1800  # 00:30 in Oslo, still 3 March in UTC
    messages = [
        badge_message(half_past_midnight, enter(0, BED_B), rub(10, B_DISPENSER), role="doctor"),
        badge_message(T0, enter(0, BED_1), role="care_assistant"),
    ]
    day = day_counts([messages], make_site())
    assert day == [
        ComplianceCount("ward A", "patient_zone", date(2024, 3, 4), "care_assistant", 1, 0),
        ComplianceCount("ward B", "patient_zone", date(2024, 3, 4), "doctor", 1, 1),
    ]


def test_the_output_types_have_no_room_for_an_identity():
    fields = {f.name for f in dataclasses.fields(ComplianceCount)}
    assert fields == {"ward", "zone_type", "day", "role", "opportunities", "met"}
    assert {f.name for f in dataclasses.fields(Cell)} == {"ward", "zone_type", "day", "role"}
    assert {f.name for f in dataclasses.fields(Outcome)} == {"cell", "met"}
    count = ComplianceCount("ward A", "patient_zone", date(2024, 3, 4), "nurse", 1, 1)
    with pytest.raises((AttributeError, TypeError)):
        count.badge_id = 7  # type: ignore[attr-defined]
    assert not hasattr(count, "__dict__")


def test_roles_and_zone_types_are_the_codecs_own():
    assert get_args(Role) == ROLES
    assert get_args(ZoneType) == ZONES


def test_crossings_of_unknown_zones_or_mismatched_types_are_dropped_and_counted():
    aggregator = BadgeAggregator(make_site())
    aggregator.add(badge_message(T0, enter(0, 99), enter(5, MEDICATION_ROOM, "patient_zone")))
    assert aggregator.flush() == []
    assert aggregator.dropped == {"unmapped": 2}


def test_duplicate_uplinks_count_once():
    message = badge_message(T0, enter(0, BED_1), rub(10, DOOR_1))
    aggregator = BadgeAggregator(make_site())
    counts = aggregator.add(message) + aggregator.add(message) + aggregator.flush()
    assert totals(counts) == (1, 1)
    assert aggregator.dropped == {"duplicate": 2}


def test_different_messages_sharing_a_base_second_are_not_duplicates():
    aggregator = BadgeAggregator(make_site())
    aggregator.add(badge_message(T0, enter(0, BED_1)))
    aggregator.add(badge_message(T0, enter(0, BED_2)))
    assert totals(aggregator.flush()) == (2, 0)
    assert aggregator.dropped == {}


def test_counts_are_held_back_until_the_lateness_has_passed():
    aggregator = BadgeAggregator(make_site(), lateness_s=600)
    assert aggregator.add(badge_message(T0, enter(0, BED_1))) == []
    late_rub = badge_message(T0 + 25, rub(0, DOOR_1))
    assert aggregator.add(badge_message(T0 + 620, enter(0, BED_2))) == []
    assert aggregator.add(late_rub) == []  # arrives out of order but within the lateness
    assert totals(aggregator.tick(T0 + 629)) == (0, 0)
    assert totals(aggregator.tick(T0 + 630)) == (1, 1)
    assert totals(aggregator.flush()) == (1, 0)
    assert aggregator.flush() == []


def test_a_message_later_than_the_lateness_is_dropped_not_rewriting_counts():
    aggregator = BadgeAggregator(make_site(), lateness_s=60)
    aggregator.add(badge_message(T0, enter(0, BED_1)))
    emitted = aggregator.add(badge_message(T0 + 1000, enter(0, BED_2)))
    assert totals(emitted) == (1, 0)
    assert aggregator.add(badge_message(T0 + 10, rub(0, DOOR_1))) == []
    assert aggregator.dropped == {"late": 1}


def test_dropped_events_are_counted_per_local_day_reason_and_opportunity():
    """What a ward's counts miss, for the infection-control screen: no badge in it."""
    aggregator = BadgeAggregator(make_site(), lateness_s=60)
    aggregator.add(badge_message(T0, enter(0, BED_1)))
    aggregator.add(badge_message(T0 + 1000, enter(0, BED_2)))
    aggregator.add(badge_message(T0 + 10, rub(0, DOOR_1), leave(5, BED_1)))  # both late
    half_past_midnight = T0 - 7 * 3600 - 1800  # 00:30 in Oslo, still 3 March in UTC
    aggregator.add(badge_message(half_past_midnight, enter(0, BED_1)))  # late
    aggregator.add(badge_message(T0 + 2000, enter(0, 99)))  # 99: no such zone
    aggregator.add(badge_message(T0 + 1000, enter(0, BED_2)))  # a copy loses nothing
    day = date(2024, 3, 4)
    assert set(aggregator.take_dropped("ward A")) == {
        DroppedCount("ward A", day, "late", None, 1),
        DroppedCount("ward A", day, "late", "patient_zone", 2),
        DroppedCount("ward A", day, "unmapped", "patient_zone", 1),
    }
    assert aggregator.take_dropped("ward A") == []


GAPS = st.integers(min_value=0, max_value=90)
ZONE_IDS = sorted(make_site().zones)
DISPENSERS = [DOOR_1, SHARED, DOOR_2, MED_DISPENSER, SLUICE_DISPENSER, CORRIDOR, B_DISPENSER]


@st.composite
def badge_day(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A badge's events split into messages at random points, each message based at its first
    event's time as the firmware does."""
    site, time, events = make_site(), T0, []
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        time += draw(GAPS)
        kind = draw(st.sampled_from(["entry", "exit", "dispense", "dispense"]))
        if kind == "dispense":
            events.append((time, "dispense", "patient_zone", draw(st.sampled_from(DISPENSERS))))
        else:
            zone_id = draw(st.sampled_from(ZONE_IDS))
            events.append((time, kind, site.zones[zone_id].zone_type, zone_id))
    messages, start = [], 0
    while start < len(events):
        end = start + draw(st.integers(min_value=1, max_value=6))
        chunk = events[start:end]
        base = chunk[0][0]
        role = draw(st.sampled_from(ROLES))
        shifted = [(t - base, kind, zone, ref) for t, kind, zone, ref in chunk]
        messages.append(badge_message(base, *shifted, role=role))
        start = end
    return messages


def feed(aggregator: BadgeAggregator, messages: list[dict[str, Any]]) -> list[ComplianceCount]:
    counts = [count for message in messages for count in aggregator.add(message)]
    return merge(counts + aggregator.flush())


@given(badge_day())
def test_deciding_message_by_message_agrees_with_deciding_the_whole_day(messages):
    whole_day = day_counts([messages], make_site())
    assert feed(BadgeAggregator(make_site(), lateness_s=1), messages) == whole_day


@given(badge_day(), st.integers(min_value=0, max_value=300), st.randoms(use_true_random=False))
def test_out_of_order_arrival_within_the_lateness_changes_nothing(messages, delay, rng):
    arrival = sorted(messages, key=lambda m: m["time"] + rng.randint(0, delay))
    longest = max((m["events"][-1]["offset_s"] for m in messages), default=0)
    aggregator = BadgeAggregator(make_site(), lateness_s=delay + longest + 1)
    assert feed(aggregator, arrival) == day_counts([messages], make_site())
    assert aggregator.dropped["late"] == 0


@given(badge_day(), st.integers(min_value=0, max_value=40), st.integers(0, 600))
def test_a_state_saved_and_restored_midway_changes_nothing(messages, split, lateness):
    """A matcher taking over goes on from the state the last one stored, as JSON."""
    unbroken = feed(BadgeAggregator(make_site(), lateness_s=lateness), messages)
    first = BadgeAggregator(make_site(), lateness_s=lateness)
    counts = [count for message in messages[:split] for count in first.add(message)]
    first.take_dropped("ward A")
    state = json.loads(json.dumps(first.state()))
    second = BadgeAggregator.from_state(make_site(), state, lateness_s=lateness)
    assert merge(counts + feed(second, messages[split:])) == unbroken


def test_a_rub_spent_before_the_state_was_saved_stays_spent():
    """A rub during a visit met its entry before the take-over; it cannot meet the exit too."""
    first = BadgeAggregator(make_site(), lateness_s=0)
    first.add(badge_message(T0, enter(0, BED_1), rub(10, DOOR_1)))
    assert totals(first.tick(T0 + 30)) == (1, 1)
    state = json.loads(json.dumps(first.state()))
    second = BadgeAggregator.from_state(make_site(), state, lateness_s=0)
    second.add(badge_message(T0 + 35, leave(0, BED_1)))
    assert totals(second.flush()) == (1, 0)


def test_many_badges_add_up():
    one = [badge_message(T0, enter(0, BED_1), rub(10, DOOR_1))]
    other = [badge_message(T0 + 5, enter(0, BED_1))]
    (count,) = day_counts([one, other], make_site())
    assert (count.opportunities, count.met) == (2, 1)


def test_a_site_from_the_registry_puts_dispensers_in_reach_of_their_room():
    site = Site.from_rooms(
        "ward C",
        zones=[
            (1, "room 1", "patient_zone"),
            (2, "room 1", "patient_zone"),
            (3, "med", "clean_room"),
        ],
        dispensers=[(500, "room 1"), (501, "med"), (502, "corridor")],
    )
    assert site.zones[1] == Zone("ward C", "patient_zone", frozenset({500}))
    assert site.zones[2].dispensers == frozenset({500})
    assert site.zones[3] == Zone("ward C", "clean_room", frozenset({501}))
