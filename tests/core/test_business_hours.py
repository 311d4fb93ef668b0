"""Business hours: validation, open or closed, the next opening across
daylight saving changes and the week's end, and the phrase that says it."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.business_hours import (
    BusinessHours,
    from_settings,
    is_open,
    next_change,
    next_opening,
    status,
    timezones,
)
from core.business_hours_words import Speech, choose, team_back, when

UTC = timezone.utc
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
OFFICE = {d: [{"opens": "09:00", "closes": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def hours(zone: str, **week: list[dict[str, str]]) -> BusinessHours:
    return BusinessHours.model_validate({"timezone": zone, "week": week})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# ---- what may be stored


def test_a_week_validates_and_reads_back_from_the_settings() -> None:
    stored = {"timezone": BERLIN, "week": {"mon": [{"opens": "13:30", "closes": "18:00"},
                                                   {"opens": "09:00", "closes": "12:30"}],
                                           "sat": [{"opens": "10:00", "closes": "24:00"}]}}
    read = from_settings({"business_hours": stored})
    assert read is not None
    assert [str(i) for i in read.week.mon] == ["09:00-12:30", "13:30-18:00"]  # kept in order
    assert read.week.sun == ()
    assert from_settings({}) is None and from_settings(None) is None


@pytest.mark.parametrize("value, field, words", [
    ({"timezone": "Mars/Olympus", "week": {}}, ("timezone",), "not a time zone"),
    ({"timezone": "localtime", "week": {}}, ("timezone",), "not a time zone"),
    ({"timezone": BERLIN, "week": {"mon": [{"opens": "09:00", "closes": "12:00"},
                                           {"opens": "11:30", "closes": "14:00"}]}},
     ("week", "mon"), "09:00-12:00 and 11:30-14:00 overlap"),
    ({"timezone": BERLIN, "week": {"tue": [{"opens": "18:00", "closes": "02:00"}]}},
     ("week", "tue", 0), "closes before it opens"),
    ({"timezone": BERLIN, "week": {"wed": [{"opens": "24:00", "closes": "24:00"}]}},
     ("week", "wed", 0, "opens"), "not a time"),
    ({"timezone": BERLIN, "week": {"thu": [{"opens": "9:00", "closes": "17:00"}]}},
     ("week", "thu", 0, "opens"), "not a time"),
    ({"timezone": BERLIN, "week": {"fri": [{"opens": "09:00", "closes": "25:00"}]}},
     ("week", "fri", 0, "closes"), "not a time"),
    ({"timezone": BERLIN, "week": {"someday": []}}, ("week", "someday"), "Extra inputs"),
])
def test_bad_hours_are_refused_naming_the_field(value: dict, field: tuple, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessHours.model_validate(value)
    errors = caught.value.errors()
    assert errors[0]["loc"] == field, errors
    assert words in errors[0]["msg"]


def test_hours_stored_badly_count_as_always_open_rather_than_closed(caplog: pytest.LogCaptureFixture) -> None:
    assert from_settings({"business_hours": {"timezone": "Nowhere/Town"}}) is None
    assert "do not validate" in caplog.text


def test_the_time_zones_offered_are_sorted_places() -> None:
    zones = timezones()
    assert list(zones) == sorted(zones) and BERLIN in zones and "UTC" in zones
    assert "localtime" not in zones


# ---- open or closed, and when it opens next


CASES = [
    # (zone, week, now (UTC), open now, next opening (UTC), next change (UTC))
    # no daylight saving change in sight: an ordinary Tuesday in Berlin (CEST, UTC+2)
    (BERLIN, OFFICE, utc(2024, 6, 4, 6, 59), False, utc(2024, 6, 4, 7, 0), utc(2024, 6, 4, 7, 0)),
    (BERLIN, OFFICE, utc(2024, 6, 4, 7, 0), True, utc(2024, 6, 4, 7, 0), utc(2024, 6, 4, 15, 0)),
    (BERLIN, OFFICE, utc(2024, 6, 4, 15, 0), False, utc(2024, 6, 5, 7, 0), utc(2024, 6, 5, 7, 0)),
    # Friday evening before the spring change (Sunday 31 March): Monday 9:00 is 7:00 UTC, no longer 8:00
    (BERLIN, OFFICE, utc(2024, 3, 29, 16, 0), False, utc(2024, 4, 1, 7, 0), utc(2024, 4, 1, 7, 0)),
    # Friday evening before the autumn change (Sunday 27 October): Monday 9:00 is 8:00 UTC
    (BERLIN, OFFICE, utc(2024, 10, 25, 15, 0), False, utc(2024, 10, 28, 8, 0), utc(2024, 10, 28, 8, 0)),
    # New York's changes: 10 March and 3 November 2024
    (NEW_YORK, OFFICE, utc(2024, 3, 8, 22, 0), False, utc(2024, 3, 11, 13, 0), utc(2024, 3, 11, 13, 0)),
    (NEW_YORK, OFFICE, utc(2024, 11, 1, 21, 0), False, utc(2024, 11, 4, 14, 0), utc(2024, 11, 4, 14, 0)),
    # opening at a time the clock skips (02:30 on 31 March in Berlin): open when the clock jumps to 03:00
    (BERLIN, {"sun": [{"opens": "02:30", "closes": "04:00"}]}, utc(2024, 3, 31, 0, 30), False,
     utc(2024, 3, 31, 1, 0), utc(2024, 3, 31, 1, 0)),
    # closing at a time the clock skips (New York, 02:30 on 10 March): closed when it jumps to 03:00 EDT
    (NEW_YORK, {"sun": [{"opens": "01:00", "closes": "02:30"}]}, utc(2024, 3, 10, 6, 30), True,
     utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7, 0)),
    # an interval the clock goes through twice (Berlin, 02:00-02:30 on 27 October): open both times
    (BERLIN, {"sun": [{"opens": "02:00", "closes": "02:30"}]}, utc(2024, 10, 27, 0, 10), True,
     utc(2024, 10, 27, 0, 10), utc(2024, 10, 27, 0, 30)),
    (BERLIN, {"sun": [{"opens": "02:00", "closes": "02:30"}]}, utc(2024, 10, 27, 0, 45), False,
     utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 1, 0)),
    # the week wraps: open Mondays 9-10 only; just after Monday's hour, the next is a week later
    (BERLIN, {"mon": [{"opens": "09:00", "closes": "10:00"}]}, utc(2024, 6, 3, 8, 0), False,
     utc(2024, 6, 10, 7, 0), utc(2024, 6, 10, 7, 0)),
    # Sunday late evening: Monday morning
    (BERLIN, {"mon": [{"opens": "09:00", "closes": "10:00"}]}, utc(2024, 6, 9, 21, 59), False,
     utc(2024, 6, 10, 7, 0), utc(2024, 6, 10, 7, 0)),
    # open through midnight (22:00-24:00 and the next day's 00:00-02:00): one stretch, closing at 02:00
    (BERLIN, {"sat": [{"opens": "22:00", "closes": "24:00"}], "sun": [{"opens": "00:00", "closes": "02:00"}]},
     utc(2024, 6, 8, 21, 0), True, utc(2024, 6, 8, 21, 0), utc(2024, 6, 9, 0, 0)),
]


@pytest.mark.parametrize("zone, week, now, opened, opening, change", CASES)
def test_open_and_next_opening(zone: str, week: dict, now: datetime, opened: bool, opening: datetime,
                               change: datetime) -> None:
    shop = hours(zone, **week)
    assert is_open(shop, now) is opened
    assert next_opening(shop, now) == opening
    assert next_change(shop, now) == change
    assert is_open(shop, change) is not opened
    assert not is_open(shop, change - timedelta(seconds=1)) or opened
    found = status(shop, now)
    assert (found.open, found.next_open, found.changes_at) == (opened, None if opened else opening, change)


@pytest.mark.parametrize("zone, first", [(BERLIN, utc(2024, 3, 28)), (BERLIN, utc(2024, 10, 24)),
                                         (NEW_YORK, utc(2024, 3, 7)), (NEW_YORK, utc(2024, 10, 31))])
def test_next_change_agrees_with_is_open_minute_by_minute_across_a_clock_change(zone: str,
                                                                               first: datetime) -> None:
    """Every 7 minutes over the week of a change, against a scan of is_open minute by minute."""
    shop = hours(zone, mon=[{"opens": "09:00", "closes": "17:00"}], sat=[{"opens": "00:30", "closes": "02:15"},
                 {"opens": "02:45", "closes": "24:00"}], sun=[{"opens": "00:00", "closes": "01:30"},
                 {"opens": "02:10", "closes": "03:20"}, {"opens": "20:00", "closes": "21:00"}])
    minutes = [is_open(shop, first + timedelta(minutes=m)) for m in range(12 * 24 * 60)]
    for start in range(0, 7 * 24 * 60, 7):
        now = first + timedelta(minutes=start)
        flip = next(m for m in range(start, len(minutes)) if minutes[m] != minutes[start])
        assert next_change(shop, now) == first + timedelta(minutes=flip), now
        opening = next(m for m in range(start, len(minutes)) if minutes[m])
        assert next_opening(shop, now) == (now if minutes[start] else first + timedelta(minutes=opening)), now


def test_no_hours_is_always_open_and_no_open_day_is_never_open() -> None:
    now = utc(2024, 6, 4, 3, 0)
    assert is_open(None, now) and next_opening(None, now) == now and next_change(None, now) is None
    closed = hours(BERLIN)
    assert not is_open(closed, now)
    assert next_opening(closed, now) is None and next_change(closed, now) is None


def test_now_must_say_its_time_zone() -> None:
    with pytest.raises(ValueError):
        is_open(hours(BERLIN, **OFFICE), datetime(2024, 6, 4, 9, 0))


# ---- saying it


@pytest.mark.parametrize("tags, speech", [
    (("en",), Speech("en", False)), (("en-US",), Speech("en", True)), (("en_us",), Speech("en", True)),
    (("en-GB",), Speech("en", False)), ((None, "de-AT", "en-US"), Speech("de", False)),
    (("xx", "fr-CA"), Speech("fr", False)), (("zz",), Speech("en", False)),
])
def test_the_language_is_chosen_as_the_widget_does(tags: tuple, speech: Speech) -> None:
    assert choose(*tags) == speech


BERLIN_ZONE = ZoneInfo(BERLIN)
FRIDAY_EVENING = utc(2024, 3, 29, 16, 0)
MONDAY_9 = utc(2024, 4, 1, 7, 0)


@pytest.mark.parametrize("speech, moment, phrase", [
    (Speech("en"), MONDAY_9, "Monday at 9:00"),
    (Speech("en", True), MONDAY_9, "Monday at 9:00\u00a0AM"),
    (Speech("en", True), utc(2024, 4, 1, 11, 30), "Monday at 1:30\u00a0PM"),
    (Speech("en", True), utc(2024, 3, 29, 23, 0), "tomorrow at 12:00\u00a0AM"),  # midnight into Saturday
    (Speech("en"), utc(2024, 3, 29, 17, 0), "today at 18:00"),
    (Speech("en"), utc(2024, 3, 30, 8, 0), "tomorrow at 9:00"),
    (Speech("de"), MONDAY_9, "am Montag um 9:00\u00a0Uhr"),
    (Speech("fr"), MONDAY_9, "lundi à 9:00"),
    (Speech("es"), MONDAY_9, "el lunes a las 9:00"),
    (Speech("es"), utc(2024, 3, 31, 23, 0), "el lunes a la 1:00"),
    (Speech("it"), utc(2024, 3, 31, 23, 0), "lunedì all'1:00"),
    (Speech("pt"), utc(2024, 3, 31, 23, 0), "segunda-feira à 1:00"),
    (Speech("nl"), MONDAY_9, "maandag om 9:00"),
    (Speech("he"), MONDAY_9, "ביום שני בשעה 9:00"),
])
def test_when_the_team_is_back_in_words(speech: Speech, moment: datetime, phrase: str) -> None:
    assert when(moment, FRIDAY_EVENING, BERLIN_ZONE, speech) == phrase


def test_the_sentence_in_every_language_names_the_time() -> None:
    from core.business_hours_words import WORDS
    from core.widget.i18n import STRINGS

    assert set(WORDS) == set(STRINGS)  # every language the widget speaks
    for lang in WORDS:
        sentence = team_back(MONDAY_9, FRIDAY_EVENING, BERLIN_ZONE, Speech(lang))
        assert "9:00" in sentence and "{" not in sentence, lang
    assert team_back(MONDAY_9, FRIDAY_EVENING, BERLIN_ZONE, Speech("en")) == (
        "Our team is back Monday at 9:00. Leave your email and we'll answer you there.")


# ---- closed dates (holidays)


def test_a_closed_date_is_closed_all_day_and_the_next_opening_skips_it() -> None:
    shop = BusinessHours.model_validate({"timezone": BERLIN, "week": OFFICE,
                                         "closed_on": ["2024-12-26", "2024-12-25"]})
    assert shop.closed_on == (date(2024, 12, 25), date(2024, 12, 26))  # kept in order
    tuesday_evening = utc(2024, 12, 24, 16, 0)  # 17:00 in Berlin (CET, UTC+1)
    assert not is_open(shop, utc(2024, 12, 25, 10, 0))  # a Wednesday, 11:00
    assert next_opening(shop, tuesday_evening) == utc(2024, 12, 27, 8, 0)  # Friday 9:00
    assert next_change(shop, tuesday_evening) == utc(2024, 12, 27, 8, 0)
    # Open when the closed day starts: closed from its midnight.
    late = hours(BERLIN, tue=[{"opens": "20:00", "closes": "24:00"}], wed=[{"opens": "00:00", "closes": "24:00"}])
    late = late.model_copy(update={"closed_on": (date(2024, 12, 25),)})
    assert is_open(late, utc(2024, 12, 24, 22, 0))
    assert next_change(late, utc(2024, 12, 24, 22, 0)) == utc(2024, 12, 24, 23, 0)


def test_a_long_closure_is_looked_past() -> None:
    holiday = [str(date(2024, 7, 1) + timedelta(days=n)) for n in range(30)]
    shop = BusinessHours.model_validate({"timezone": NEW_YORK, "week": OFFICE, "closed_on": holiday})
    assert next_opening(shop, utc(2024, 6, 28, 22, 0)) == utc(2024, 7, 31, 13, 0)  # Wednesday 31 July, 9:00 EDT


def test_closed_dates_must_be_dates() -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessHours.model_validate({"timezone": BERLIN, "closed_on": ["2024-02-30"]})
    assert caught.value.errors()[0]["loc"] == ("closed_on", 0)
