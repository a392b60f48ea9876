"""Hand-hygiene for infection control: compliance per ward, zone type and day or week, and the
dispensers that need a refill or have gone quiet.

Compliance is summed over staff roles before it leaves the server: the screen needs wards and
room types, and a cell per role on one ward and day can be small enough to point at a person.

Badge events that reached ingest too late to be counted (a badge's backlog, a gateway's) are
shown beside the rates, so that a rate on fewer opportunities than happened does not pass for
the whole (`hygiene_dropped_counts`, written with the counts by every ingest worker).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.hygiene.compliance import (
    DEFAULT_MIN_OPPORTUNITIES,
    WardPeriod,
    rollup,
    ward_day,
    ward_week,
)
from tilsyn.platform.hygiene.counts import ComplianceCount, DroppedCount, DropReason
from tilsyn.platform.hygiene.dispensers import DISPENSER_RULES as RULES
from tilsyn.platform.hygiene.site import WARD_TIMEZONE
from tilsyn.platform.ingest.uplink_counts import (
    MAX_DAYS,
    WEAK_LINK_PERCENT,
    UplinkCounts,
    uplink_counts,
)

router = APIRouter(prefix="/api/hygiene", tags=["hygiene"])
Reader = Annotated[User, Depends(allowed("read_hygiene"))]


class ComplianceRow(BaseModel):
    ward_id: str
    ward_name: str
    zone_type: str
    period: str
    opportunities: int
    met: int
    rate: float | None
    target: float
    judged: bool
    """False when the period holds too few opportunities to judge against the target."""
    late_opportunities: int = 0
    """Opportunities of this ward, zone type and period that reached ingest after their time
    had been decided: in neither `opportunities` nor `met`."""


class DroppedRow(BaseModel):
    ward_id: str
    day: date
    reason: DropReason
    """late: arrived after its time had been decided; unmapped: a zone not registered."""
    events: int
    opportunities: int
    """Of the events, crossings that would have been opportunities."""


class DispenserRow(BaseModel):
    dev_eui: str
    ward_id: str
    dispenser_id: int
    room_id: str
    refill_percent: int | None
    battery_percent: int | None
    last_report: datetime | None
    offline: bool
    needs_refill: bool
    needs_battery: bool
    uplinks: UplinkCounts = Field(description=f"its uplinks over the last {MAX_DAYS} days")
    weak_link: bool = Field(
        description=f"missing {WEAK_LINK_PERCENT:g} % of its uplinks or more: the uses those "
        "carried are missing from the rates, and its radio needs a look"
    )


@router.get("/compliance", response_model=list[ComplianceRow])
def compliance(
    db: Db,
    _: Reader,
    period: Literal["day", "week"] = "day",
    days: int = Query(14, ge=1, le=366),
) -> list[ComplianceRow]:
    """Rates per ward, zone type and period over the last `days` (local days), with each
    ward's target and the opportunities that came too late to count. By week, the range
    starts on the Monday of its first week: a week cut short would look like a whole one with
    fewer opportunities."""
    today = datetime.now(ZoneInfo(WARD_TIMEZONE)).date()
    since = today - timedelta(days=days - 1)
    if period == "week":
        since -= timedelta(days=since.weekday())
    rows = db.execute(
        "SELECT c.day, c.ward_id, c.zone_type, c.role, c.opportunities, c.met"
        " FROM hygiene_compliance_daily c JOIN wards w USING (ward_id)"
        " WHERE c.day >= %s ORDER BY c.ward_id, c.zone_type, c.day",
        (since,),
    ).fetchall()
    counts = [ComplianceCount(r[1], r[2], r[0], r[3], int(r[4]), int(r[5])) for r in rows]
    by_period = ward_day if period == "day" else ward_week
    rates = rollup(counts, lambda c: (by_period(c), c.zone_type))
    late: Counter[tuple[WardPeriod, str]] = Counter()
    for lost in _dropped(db, since):
        if lost.reason == "late" and lost.zone_type is not None:
            late[(by_period(lost), lost.zone_type)] += lost.events
    wards = {
        r[0]: (r[1], float(r[2]))
        for r in db.execute(
            "SELECT ward_id, name, compliance_target FROM wards WHERE ward_id = ANY(%s)",
            (sorted({where.ward for where, _ in [*rates, *late]}),),
        )
    }
    found = [
        _row(where, zone, rate.opportunities, rate.met, late[(where, zone)], wards)
        for (where, zone), rate in rates.items()
    ]
    # A cell whose every opportunity came late has no counts, only what it lost.
    found += [
        _row(where, zone, 0, 0, lost, wards)
        for (where, zone), lost in late.items()
        if (where, zone) not in rates and where.ward in wards
    ]
    return sorted(found, key=lambda r: (r.ward_id, r.zone_type, r.period))


@router.get("/dropped", response_model=list[DroppedRow])
def dropped(db: Db, _: Reader, days: int = Query(14, ge=1, le=366)) -> list[DroppedRow]:
    """Badge events left out of the counts over the last `days` (local days), per ward, day
    and reason."""
    since = datetime.now(ZoneInfo(WARD_TIMEZONE)).date() - timedelta(days=days - 1)
    sums: dict[tuple[str, date, DropReason], tuple[int, int]] = {}
    for count in _dropped(db, since):
        key = (count.ward, count.day, count.reason)
        events, opportunities = sums.get(key, (0, 0))
        crossings = count.events if count.zone_type is not None else 0
        sums[key] = (events + count.events, opportunities + crossings)
    return [
        DroppedRow(ward_id=w, day=d, reason=r, events=n, opportunities=o)
        for (w, d, r), (n, o) in sorted(sums.items())
    ]


def _dropped(db: Db, since: date) -> list[DroppedCount]:
    rows = db.execute(
        "SELECT ward_id, day, reason, zone_type, sum(events) FROM hygiene_dropped_counts"
        " WHERE day >= %s GROUP BY ward_id, day, reason, zone_type"
        " ORDER BY ward_id, day, reason, zone_type",
        (since,),
    ).fetchall()
    return [DroppedCount(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


def _row(
    where: WardPeriod,
    zone: str,
    seen: int,
    met: int,
    late: int,
    wards: dict[str, tuple[str, float]],
) -> ComplianceRow:
    name, target = wards[where.ward]
    return ComplianceRow(
        ward_id=where.ward,
        ward_name=name,
        zone_type=zone,
        period=where.period,
        opportunities=seen,
        met=met,
        rate=met / seen if seen else None,
        target=target,
        judged=seen >= DEFAULT_MIN_OPPORTUNITIES,
        late_opportunities=late,
    )


@router.get("/dispensers", response_model=list[DispenserRow])
def dispensers(db: Db, _: Reader) -> list[DispenserRow]:
    """Every dispenser with its latest status; those needing attention (offline, refill,
    battery) first."""
    rows = db.execute(
        "SELECT d.dev_eui, d.ward_id, d.dispenser_id, d.room_id, d.reporting_interval_s,"
        " s.refill_percent, s.battery_percent, s.time FROM dispensers d LEFT JOIN LATERAL"
        " (SELECT refill_percent, battery_percent, time FROM dispenser_status"
        "  WHERE dev_eui = d.dev_eui ORDER BY time DESC LIMIT 1) s ON true"
    ).fetchall()
    now = datetime.now(UTC)
    counts = uplink_counts(db, MAX_DAYS)
    found = [_dispenser(r, now, counts) for r in rows]
    return sorted(
        found,
        key=lambda d: (
            not d.offline,
            not d.needs_refill,
            not d.needs_battery,
            not d.weak_link,
            d.ward_id,
            d.dispenser_id,
        ),
    )


def _dispenser(
    row: tuple[object, ...], now: datetime, counts: dict[str, UplinkCounts]
) -> DispenserRow:
    dev_eui, ward, number, room, interval, refill, battery, last = row
    assert isinstance(interval, int)
    heard = last if isinstance(last, datetime) else None
    offline = heard is None or RULES.offline((now - heard).total_seconds(), interval)
    uplinks = counts.get(str(dev_eui), UplinkCounts())
    return DispenserRow(
        dev_eui=str(dev_eui),
        ward_id=str(ward),
        dispenser_id=int(str(number)),
        room_id=str(room),
        refill_percent=refill if isinstance(refill, int) else None,
        battery_percent=battery if isinstance(battery, int) else None,
        last_report=heard,
        offline=offline,
        needs_refill=isinstance(refill, int) and refill <= RULES.low_percent,
        needs_battery=isinstance(battery, int) and battery <= RULES.battery_low_percent,
        uplinks=uplinks,
        weak_link=uplinks.weak,
    )
