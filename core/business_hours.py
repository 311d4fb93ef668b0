"""A shop's business hours: when its team answers, in the shop's time zone.

Stored in ``shops.settings["business_hours"]``; absent means always open::

    {"timezone": "Europe/Berlin",
     "week": {"mon": [{"opens": "09:00", "closes": "12:30"}, {"opens": "13:30", "closes": "18:00"}],
              "sat": [{"opens": "10:00", "closes": "24:00"}]}}

A day not named (or with no intervals) is closed, and so is every date in
``closed_on`` (``["2024-12-25", "2024-12-26"]``: holidays). Times are the
shop's wall clock: an interval is open from ``opens`` up to, not including,
``closes``; ``closes`` may be ``24:00`` (the end of the day); intervals of a
day may not overlap. Open late at night is two intervals: ``22:00-24:00`` and
the next day's ``00:00-02:00``.

Being wall-clock times, they hold across daylight saving changes: a shop
open 09:00-17:00 opens at 09:00 local time before and after the change. An
opening the clock skips (02:30 on the night it jumps from 02:00 to 03:00)
happens when the clock jumps past it; a wall time the clock goes through
twice counts both times. :func:`next_opening` and :func:`next_change` agree
with :func:`is_open` at every instant: they look at every interval boundary
and every change of the zone's offset in the next two weeks (and as many
days more as there are closed dates ahead).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)

SETTING = "business_hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
MAX_INTERVALS = 8
MAX_CLOSED_DAYS = 366
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
#: Far enough to find the next opening of any week (a week, plus a day skipped by a clock change).
HORIZON = 15
#: Zones of the zone database that are no place: the host's own, and a placeholder.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def timezones() -> tuple[str, ...]:
    """The IANA time zones a shop may choose, sorted."""
    return tuple(sorted(available_timezones() - _NOT_PLACES))


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class Interval(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: str
    closes: str

    @field_validator("opens")
    @classmethod
    def _opens(cls, value: str) -> str:
        if not _TIME.fullmatch(value) or value == "24:00":
            raise ValueError(f"{value!r} is not a time from 00:00 to 23:59")
        return value

    @field_validator("closes")
    @classmethod
    def _closes(cls, value: str) -> str:
        if not _TIME.fullmatch(value):
            raise ValueError(f"{value!r} is not a time from 00:01 to 24:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(
                f"{self} closes before it opens (split a night into two days: 22:00-24:00 "
                "and the next day's 00:00-02:00)"
            )
        return self

    @property
    def start(self) -> int:
        """Minutes after midnight."""
        return _minutes(self.opens)

    @property
    def end(self) -> int:
        return _minutes(self.closes)

    def __str__(self) -> str:
        return f"{self.opens}-{self.closes}"


class Week(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mon: tuple[Interval, ...] = ()
    tue: tuple[Interval, ...] = ()
    wed: tuple[Interval, ...] = ()
    thu: tuple[Interval, ...] = ()
    fri: tuple[Interval, ...] = ()
    sat: tuple[Interval, ...] = ()
    sun: tuple[Interval, ...] = ()

    @field_validator(*DAYS)
    @classmethod
    def _apart(cls, value: tuple[Interval, ...]) -> tuple[Interval, ...]:
        if len(value) > MAX_INTERVALS:
            raise ValueError(f"at most {MAX_INTERVALS} intervals a day")
        ordered = tuple(sorted(value, key=lambda i: i.start))
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"{before} and {after} overlap")
        return ordered

    def day(self, weekday: int) -> tuple[Interval, ...]:
        """The intervals of ``date.weekday()`` (0 is Monday)."""
        return getattr(self, DAYS[weekday])


class BusinessHours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str
    week: Week = Week()
    #: Whole days closed whatever the week says (holidays), in the shop's time zone.
    closed_on: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in timezones():
            raise ValueError(f"{value!r} is not a time zone of the IANA database (e.g. Europe/Berlin)")
        return value

    @field_validator("closed_on")
    @classmethod
    def _dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        if len(value) > MAX_CLOSED_DAYS:
            raise ValueError(f"at most {MAX_CLOSED_DAYS} closed days")
        return tuple(sorted(set(value)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def never_open(self) -> bool:
        return not any(self.week.day(d) for d in range(7))


def from_settings(settings: Mapping[str, Any] | None) -> BusinessHours | None:
    """The shop's hours, or None: always open (nothing set, or a stored value
    that no longer validates, which is logged and ignored rather than closing the shop)."""
    raw = (settings or {}).get(SETTING)
    if raw is None:
        return None
    try:
        return BusinessHours.model_validate(raw)
    except ValidationError as exc:
        log.warning("ignoring the shop's business hours, which do not validate: %s", exc)
        return None


# ---- when the team is there


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def is_open(hours: BusinessHours | None, now: datetime) -> bool:
    """Whether the team answers at ``now`` (aware); None (no hours set) is always open."""
    if hours is None:
        return True
    local = _utc(now).astimezone(hours.zone)
    if local.date() in hours.closed_on:
        return False
    second = local.hour * 3600 + local.minute * 60 + local.second
    return any(i.start * 60 <= second < i.end * 60 for i in hours.week.day(local.weekday()))


def _instants(day: date, minute: int, zone: ZoneInfo) -> Iterator[datetime]:
    """The instants (UTC) when the wall clock shows ``minute`` on ``day``: none
    when the clock skips it, two when it goes through it twice."""
    if minute == 24 * 60:
        day, minute = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:  # not a time the clock skips
            yield instant


def _transitions(start: date, days: int, zone: ZoneInfo) -> Iterator[datetime]:
    """The instants (UTC, to the second) when the zone's offset changes in those days."""
    edge = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC) - timedelta(days=1)
    end = edge + timedelta(days=days + 2)
    step = timedelta(hours=6)  # zones change their offset at most twice a year, never twice in 6 hours
    while edge < end:
        low, high = edge, edge + step
        offset = low.astimezone(zone).utcoffset()
        if offset != high.astimezone(zone).utcoffset():
            while high - low > timedelta(seconds=1):  # bisect to the first second of the new offset
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            yield high
        edge += step


def _boundaries(hours: BusinessHours, now: datetime) -> list[datetime]:
    """Every instant after ``now`` where :func:`is_open` can change, in order: the
    intervals' openings and closings, and the zone's offset changes."""
    zone = hours.zone
    first = now.astimezone(zone).date() - timedelta(days=1)
    # Closed days ahead push the next opening further: look as much further.
    days = HORIZON + 1 + sum(1 for d in hours.closed_on if d >= first)
    found: set[datetime] = set(_transitions(first, days, zone))
    for offset in range(days):
        day = first + timedelta(days=offset)
        for interval in hours.week.day(day.weekday()):
            found.update(_instants(day, interval.start, zone))
            found.update(_instants(day, interval.end, zone))
        if day in hours.closed_on:  # its midnights: where it starts and ends
            found.update(_instants(day, 0, zone))
            found.update(_instants(day, 24 * 60, zone))
    return sorted(t for t in found if t > now)


def next_opening(hours: BusinessHours | None, now: datetime) -> datetime | None:
    """When the team answers next: ``now`` itself while open; None when the
    hours have no open time at all. In UTC."""
    now = _utc(now)
    if is_open(hours, now):
        return now
    assert hours is not None
    return next((t for t in _boundaries(hours, now) if is_open(hours, t)), None)


def next_change(hours: BusinessHours | None, now: datetime) -> datetime | None:
    """The next instant when :func:`is_open` changes (an opening or a closing), or None: never. In UTC."""
    if hours is None or hours.never_open:
        return None
    now = _utc(now)
    state = is_open(hours, now)
    return next((t for t in _boundaries(hours, now) if is_open(hours, t) != state), None)


@dataclass(frozen=True)
class Status:
    open: bool
    #: While closed: when the team is back (None: the hours have no open time).
    next_open: datetime | None
    #: When ``open`` changes next (None: never).
    changes_at: datetime | None


def status(hours: BusinessHours | None, now: datetime) -> Status:
    now = _utc(now)
    opened = is_open(hours, now)
    return Status(opened, None if opened else next_opening(hours, now), next_change(hours, now))
