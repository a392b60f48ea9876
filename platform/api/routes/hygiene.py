"""Hand-hygiene for infection control: compliance per ward, zone type and day or week, and the
dispensers that need a refill or have gone quiet.

Compliance is summed over staff roles before it leaves the server: the screen needs wards and
room types, and a cell per role on one ward and day can be small enough to point at a person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.hygiene.compliance import (
    DEFAULT_MIN_OPPORTUNITIES,
    WardPeriod,
    rollup,
    ward_day,
    ward_week,
)
from tilsyn.platform.hygiene.counts import ComplianceCount
from tilsyn.platform.hygiene.dispensers import DISPENSER_RULES as RULES
from tilsyn.platform.hygiene.site import WARD_TIMEZONE

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


@router.get("/compliance", response_model=list[ComplianceRow])
def compliance(
    db: Db,
    _: Reader,
    period: Literal["day", "week"] = "day",
    days: int = Query(14, ge=1, le=366),
) -> list[ComplianceRow]:
    """Rates per ward, zone type and period over the last `days` (local days), with each
    ward's target. By week, the range starts on the Monday of its first week: a week cut
    short would look like a whole one with fewer opportunities."""
    today = datetime.now(ZoneInfo(WARD_TIMEZONE)).date()
    since = today - timedelta(days=days - 1)
    if period == "week":
        since -= timedelta(days=since.weekday())
    rows = db.execute(
        "SELECT c.day, c.ward_id, c.zone_type, c.role, c.opportunities, c.met, w.name,"
        " w.compliance_target FROM hygiene_compliance_daily c JOIN wards w USING (ward_id)"
        " WHERE c.day >= %s ORDER BY c.ward_id, c.zone_type, c.day",
        (since,),
    ).fetchall()
    wards = {r[1]: (r[6], float(r[7])) for r in rows}
    counts = [ComplianceCount(r[1], r[2], r[0], r[3], int(r[4]), int(r[5])) for r in rows]
    by_period = ward_day if period == "day" else ward_week
    rates = rollup(counts, lambda c: (by_period(c), c.zone_type))
    return [
        _row(where, zone, rate.opportunities, rate.met, wards)
        for (where, zone), rate in rates.items()
    ]


def _row(
    where: WardPeriod, zone: str, seen: int, met: int, wards: dict[str, tuple[str, float]]
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
    found = [_dispenser(r, now) for r in rows]
    return sorted(
        found,
        key=lambda d: (
            not d.offline,
            not d.needs_refill,
            not d.needs_battery,
            d.ward_id,
            d.dispenser_id,
        ),
    )


def _dispenser(row: tuple[object, ...], now: datetime) -> DispenserRow:
    dev_eui, ward, number, room, interval, refill, battery, last = row
    assert isinstance(interval, int)
    heard = last if isinstance(last, datetime) else None
    offline = heard is None or RULES.offline((now - heard).total_seconds(), interval)
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
    )
