"""Official days off and working days entered by coordinators: they win over ``holidays`` both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain import DayOverride, DayOverrideKind, InvalidInputError, NoTimeReason
from bot.planner import CityCalendar, MeetingRequest, parse_weekly_hours, plan
from bot.planner.calendar import day_kind, make_up_weekday, open_windows, public_holidays
from bot.planner.queries import candidate_slots, explain
from tests.unit.planner.conftest import LISBON, PANJIN, problem, utc
from tests.unit.planner.oracle import Oracle

HAMBURG = CityCalendar("hamburg", "Europe/Berlin", "DE", "HH", parse_weekly_hours("Mon-Fri 08:00-16:00"))
MUNICH = CityCalendar("munich", "Europe/Berlin", "DE", "BY", parse_weekly_hours("Mon-Fri 08:00-16:00"))


def off(country: str, day: date, name: str = "Official day off", subdivision: str | None = None) -> DayOverride:
    return DayOverride(country, day, DayOverrideKind.DAY_OFF, name, subdivision=subdivision)


def work(country: str, day: date, weekday: int, name: str = "Official working day") -> DayOverride:
    return DayOverride(country, day, DayOverrideKind.WORKING_DAY, name, works_as_weekday=weekday)


def with_overrides(calendar: CityCalendar, *overrides: DayOverride) -> CityCalendar:
    return replace(calendar, overrides=overrides)


def open_dates(calendar: CityCalendar, start: date, end: date) -> list[date]:
    return sorted({w.local_date for w in open_windows(calendar, start, end)})


def test_a_day_off_removes_that_days_slots_in_that_country_only() -> None:
    wednesday = date(2027, 3, 17)  # a plain working day for ``holidays`` in China and Germany
    overrides = (off("CN", wednesday, "National mourning day"),)
    panjin, hamburg = with_overrides(PANJIN, *overrides), with_overrides(HAMBURG, *overrides)
    assert wednesday in open_dates(PANJIN, date(2027, 3, 15), date(2027, 3, 19))
    assert open_dates(panjin, date(2027, 3, 15), date(2027, 3, 19)) == [date(2027, 3, d) for d in (15, 16, 18, 19)]
    assert open_dates(hamburg, date(2027, 3, 15), date(2027, 3, 19)) == [date(2027, 3, d) for d in (15, 16, 17, 18, 19)]
    case = problem([panjin, hamburg], start=date(2027, 3, 15), end=date(2027, 3, 19), now="2027-03-08 00:00")
    slots = candidate_slots(case, "panjin", "hamburg", 60)
    assert slots and all(s.start_utc.date() != wednesday for s in slots)
    without = candidate_slots(problem([PANJIN, HAMBURG], start=date(2027, 3, 15), end=date(2027, 3, 19), now="2027-03-08 00:00"), "panjin", "hamburg", 60)
    assert any(s.start_utc.date() == wednesday for s in without)  # the override is what removed them
    requests = [MeetingRequest(f"r{n}", "panjin", "hamburg", 60) for n in range(4)]
    planned = plan(replace(case, requests=tuple(requests)))
    assert planned.scheduled and all(start.date() != wednesday for start in planned.scheduled.values())
    assert Oracle(replace(case, requests=tuple(requests))).violations(planned.scheduled) == []


def test_a_subdivisions_day_off_closes_only_that_subdivision() -> None:
    overrides = (off("DE", date(2027, 3, 24), "Landestrauertag", subdivision="BY"),)
    assert date(2027, 3, 24) not in open_dates(with_overrides(MUNICH, *overrides), date(2027, 3, 22), date(2027, 3, 26))
    assert date(2027, 3, 24) in open_dates(with_overrides(HAMBURG, *overrides), date(2027, 3, 22), date(2027, 3, 26))


def test_a_working_saturday_opens_with_the_configured_weekdays_hours() -> None:
    saturday = date(2027, 2, 20)  # a weekend day; ``holidays`` 0.109 knows no 2027 make-up days
    panjin = replace(PANJIN, windows=parse_weekly_hours("Mon-Tue 09:00-10:00, Wed 14:00-16:00, Thu-Fri 09:00-10:00"))
    assert open_windows(panjin, saturday, saturday) == []
    opened = with_overrides(panjin, work("CN", saturday, 2, "Make-up working day (调休)"))
    assert make_up_weekday(opened, saturday) == 2
    # Wednesday's 14:00-16:00 in Shanghai (UTC+8) is 06:00-08:00 UTC.
    assert [(w.span.start_utc, w.span.end_utc) for w in open_windows(opened, saturday, saturday)] == [
        (utc("2027-02-20 06:00"), utc("2027-02-20 08:00"))
    ]
    lisbon_saturday = replace(LISBON, windows=parse_weekly_hours("Sat 06:00-09:00"))
    case = problem([opened, lisbon_saturday], start=saturday, end=saturday, now="2027-02-10 00:00")
    result = plan(replace(case, requests=(MeetingRequest("r", "panjin", "lisbon", 60),)))
    assert result.scheduled["r"].date() == saturday and utc("2027-02-20 06:00") <= result.scheduled["r"] <= utc("2027-02-20 07:00")


def test_an_override_wins_over_the_library_in_both_directions() -> None:
    qingming = date(2027, 4, 5)  # a Monday off in ``holidays``
    make_up_saturday = date(2026, 2, 14)  # a working Saturday in ``holidays`` (Friday's hours)
    assert day_kind(PANJIN, qingming) == "holiday" and open_windows(PANJIN, make_up_saturday, make_up_saturday)
    panjin = with_overrides(PANJIN, work("CN", qingming, 0, "Worked after all"), off("CN", make_up_saturday, "Not worked after all"))
    assert day_kind(panjin, qingming) == "working"
    assert [w.local_date for w in open_windows(panjin, qingming, qingming)] == [qingming, qingming]
    assert open_windows(panjin, make_up_saturday, make_up_saturday) == []
    assert make_up_weekday(panjin, make_up_saturday) is None


def test_the_reason_for_no_common_time_names_the_official_day_off() -> None:
    day = date(2027, 3, 24)
    panjin = with_overrides(replace(PANJIN, windows=parse_weekly_hours("Wed 08:30-11:30, 13:30-17:30")), off("CN", day, "National mourning day"))
    lisbon = replace(LISBON, windows=parse_weekly_hours("Wed 08:00-12:00"))
    case = problem([panjin, lisbon], start=date(2027, 3, 22), end=date(2027, 3, 26), now="2027-03-15 00:00")
    case = replace(case, requests=(MeetingRequest("r", "panjin", "lisbon", 60),))
    explanation = explain(case, "r")
    assert explanation.reason is NoTimeReason.CLOSED_DAYS
    assert [(d.city_id, d.local_date, d.kind, d.name) for d in explanation.closed_days] == [("panjin", day, "holiday", "National mourning day")]


@pytest.mark.parametrize(("calendar", "year"), [(PANJIN, 2026), (PANJIN, 2027), (HAMBURG, 2027)])
def test_overrides_equal_to_the_library_change_nothing(calendar: CityCalendar, year: int) -> None:
    """What a coordinator enters from the government's notice is what a later ``holidays`` release
    will say; entering it (or upgrading the package while it is entered) must not move anything."""
    assert calendar.country is not None
    official = public_holidays(calendar.country, calendar.subdivision, year)
    same = [off(calendar.country, day, str(name)) for day, name in official.items()]
    same += [work(calendar.country, day, make_up_weekday(calendar, day) or 0) for day in official.weekend_workdays if day.year == year]
    assert len(same) >= 9
    start, end = date(year, 1, 1), date(year, 12, 31)
    assert open_windows(with_overrides(calendar, *same), start, end) == open_windows(calendar, start, end)
    named = with_overrides(calendar, *same)
    assert [day_kind(named, d) for d in official] == [day_kind(calendar, d) for d in official]


def test_a_working_day_needs_its_weekday_and_a_day_off_has_none() -> None:
    with pytest.raises(InvalidInputError):
        DayOverride("CN", date(2027, 2, 20), DayOverrideKind.WORKING_DAY, "x")
    with pytest.raises(InvalidInputError):
        DayOverride("CN", date(2027, 2, 20), DayOverrideKind.DAY_OFF, "x", works_as_weekday=0)


def test_the_override_of_a_subdivision_wins_over_its_countrys_on_the_same_day() -> None:
    saturday = date(2027, 3, 27)
    munich = with_overrides(
        replace(MUNICH, windows=parse_weekly_hours("Mon-Fri 08:00-16:00")),
        work("DE", saturday, 0), off("DE", saturday, "Bavarian day off", subdivision="BY"),
    )
    hamburg = with_overrides(HAMBURG, *munich.overrides, work("DE", saturday, 0))
    assert open_windows(munich, saturday, saturday) == []
    assert [w.local_date for w in open_windows(hamburg, saturday, saturday)] == [saturday]


@pytest.mark.parametrize(
    ("country", "year", "guess"),
    [
        ("CN", 2026, False),  # holidays 0.109 knows 2026's make-up working days
        ("CN", 2027, True),  # ... and none of 2027's: the arrangement is not published (or not caught up with)
        ("DE", 2027, False),
        ("ID", 2040, True),  # Eid al-Fitr "(estimated)"
        ("DE", 2150, True),  # beyond the years the package covers
    ],
)
def test_a_year_the_library_only_guesses_is_known_as_a_guess(country: str, year: int, guess: bool) -> None:
    from bot.planner.calendar import calendar_is_a_guess

    assert calendar_is_a_guess(country, year) is guess
