"""Local windows to UTC ranges across DST in both directions, odd offsets, holidays and days away."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from bot.domain import WeeklyWindow
from bot.planner import CityCalendar, DateRange, parse_weekly_hours
from bot.planner.calendar import make_up_weekday, open_windows
from bot.planner.ranges import intersect, subtract, wall_window_to_utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def ranges(zone: str, day: date, start: str, end: str) -> list[tuple[datetime, datetime]]:
    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    return [(r.start_utc, r.end_utc) for r in wall_window_to_utc(zone, day, minutes(start), minutes(end))]


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "expected"),
    [
        # Europe/Berlin springs forward 2027-03-28 02:00 CET -> 03:00 CEST (01:00 UTC).
        ("Europe/Berlin", date(2027, 3, 27), "09:00", "17:00", [("2027-03-27 08:00", "2027-03-27 16:00")]),
        ("Europe/Berlin", date(2027, 3, 29), "09:00", "17:00", [("2027-03-29 07:00", "2027-03-29 15:00")]),
        ("Europe/Berlin", date(2027, 3, 28), "01:30", "04:00", [("2027-03-28 00:30", "2027-03-28 02:00")]),
        ("Europe/Berlin", date(2027, 3, 28), "02:30", "04:00", [("2027-03-28 01:00", "2027-03-28 02:00")]),
        ("Europe/Berlin", date(2027, 3, 28), "02:15", "02:45", []),
        # Europe/Berlin falls back 2027-10-31 03:00 CEST -> 02:00 CET (01:00 UTC): 02:xx twice.
        ("Europe/Berlin", date(2027, 10, 31), "01:00", "03:00", [("2027-10-30 23:00", "2027-10-31 01:00")]),
        (
            "Europe/Berlin", date(2027, 10, 31), "02:30", "04:00",
            [("2027-10-31 00:30", "2027-10-31 01:00"), ("2027-10-31 02:00", "2027-10-31 03:00")],
        ),
        # America/New_York springs forward 2027-03-14 02:00 EST -> 03:00 EDT, falls back 2027-11-07.
        ("America/New_York", date(2027, 3, 14), "01:00", "04:00", [("2027-03-14 06:00", "2027-03-14 08:00")]),
        # New York falls back 2027-11-07 02:00 EDT -> 01:00 EST (06:00 UTC): 01:xx EST is cut out.
        (
            "America/New_York", date(2027, 11, 7), "00:30", "02:30",
            [("2027-11-07 04:30", "2027-11-07 06:00"), ("2027-11-07 07:00", "2027-11-07 07:30")],
        ),
        # America/Santiago changes at midnight: fall back Sun 2027-04-04 00:00 -> Sat 23:00, so the
        # repeated hour is Saturday's; spring forward Sun 2027-09-05 00:00 -> 01:00.
        ("America/Santiago", date(2027, 4, 3), "22:00", "24:00", [("2027-04-04 01:00", "2027-04-04 03:00")]),
        ("America/Santiago", date(2027, 4, 4), "00:00", "01:00", [("2027-04-04 04:00", "2027-04-04 05:00")]),
        ("America/Santiago", date(2027, 9, 5), "00:00", "02:00", [("2027-09-05 04:00", "2027-09-05 05:00")]),
        # Australia/Sydney: fall back 2027-04-04 03:00 AEDT -> 02:00 AEST; spring 2027-10-03 02:00 -> 03:00.
        ("Australia/Sydney", date(2027, 4, 4), "02:00", "04:00", [("2027-04-03 15:00", "2027-04-03 16:00"), ("2027-04-03 17:00", "2027-04-03 18:00")]),
        ("Australia/Sydney", date(2027, 10, 3), "01:00", "04:00", [("2027-10-02 15:00", "2027-10-02 17:00")]),
        # Pacific/Auckland falls back 2027-04-04 03:00 NZDT -> 02:00 NZST.
        ("Pacific/Auckland", date(2027, 4, 5), "09:00", "17:00", [("2027-04-04 21:00", "2027-04-05 05:00")]),
        # Half- and quarter-hour offsets.
        ("Asia/Kolkata", date(2027, 3, 22), "09:00", "12:00", [("2027-03-22 03:30", "2027-03-22 06:30")]),
        ("Asia/Kathmandu", date(2027, 3, 22), "09:00", "12:00", [("2027-03-22 03:15", "2027-03-22 06:15")]),
    ],
)
def test_local_window_becomes_utc_ranges(zone: str, day: date, start: str, end: str, expected: list[tuple[str, str]]) -> None:
    assert ranges(zone, day, start, end) == [(at(a), at(b)) for a, b in expected]


def test_window_in_spring_forward_gap_is_shortened_not_moved() -> None:
    # 02:30-03:30 in Berlin on 2027-03-28: 02:30 does not exist; the window keeps 03:00-03:30 only.
    assert ranges("Europe/Berlin", date(2027, 3, 28), "02:30", "03:30") == [(at("2027-03-28 01:00"), at("2027-03-28 01:30"))]


def test_repeated_fall_back_hour_counts_once() -> None:
    pieces = ranges("Europe/Berlin", date(2027, 10, 31), "02:00", "03:00")
    assert pieces == [(at("2027-10-31 00:00"), at("2027-10-31 01:00"))]


def test_intersect_and_subtract_keep_ranges_half_open() -> None:
    a = [DateRange(at("2027-03-22 08:00"), at("2027-03-22 10:00"))]
    b = [DateRange(at("2027-03-22 10:00"), at("2027-03-22 11:00"))]
    assert intersect(a, b) == []
    assert subtract(a, [DateRange(at("2027-03-22 09:00"), at("2027-03-22 09:30"))]) == [
        DateRange(at("2027-03-22 08:00"), at("2027-03-22 09:00")),
        DateRange(at("2027-03-22 09:30"), at("2027-03-22 10:00")),
    ]


def panjin(**changes: object) -> CityCalendar:
    values = dict(id="panjin", tz="Asia/Shanghai", country="CN", subdivision=None,
                  windows=parse_weekly_hours("Mon-Thu 08:30-11:30, 13:30-17:30; Fri 09:00-11:00"))
    values.update(changes)
    return CityCalendar(**values)  # type: ignore[arg-type]


def open_dates(calendar: CityCalendar, start: date, end: date) -> list[date]:
    return sorted({window.local_date for window in open_windows(calendar, start, end)})


def test_spring_festival_days_are_closed_in_china() -> None:
    # 2027-02-05 (eve) to 2027-02-10 are holidays; Thursday 02-11 is a working day again.
    assert open_dates(panjin(), date(2027, 2, 3), date(2027, 2, 12)) == [date(2027, 2, 3), date(2027, 2, 4), date(2027, 2, 11), date(2027, 2, 12)]


def test_qingming_closes_2027_04_05_in_china() -> None:
    assert date(2027, 4, 5) not in open_dates(panjin(), date(2027, 4, 1), date(2027, 4, 9))
    assert date(2027, 4, 6) in open_dates(panjin(), date(2027, 4, 1), date(2027, 4, 9))


def test_make_up_saturday_is_worked_with_the_hours_of_the_friday_it_pays_for() -> None:
    # 2026: Saturday 14 Feb is worked so that Friday 20 Feb joins the Spring Festival break.
    calendar = panjin()
    assert make_up_weekday(calendar, date(2026, 2, 14)) == 4
    windows = open_windows(calendar, date(2026, 2, 14), date(2026, 2, 14))
    assert [(w.span.start_utc, w.span.end_utc) for w in windows] == [(at("2026-02-14 01:00"), at("2026-02-14 03:00"))]
    assert open_windows(calendar, date(2026, 2, 20), date(2026, 2, 20)) == []


def test_make_up_days_can_be_switched_off() -> None:
    calendar = panjin(make_up_days_are_working_days=False)
    assert open_windows(calendar, date(2026, 2, 14), date(2026, 2, 14)) == []


def test_easter_monday_closes_german_cities() -> None:
    hamburg = CityCalendar("hamburg", "Europe/Berlin", "DE", "HH", parse_weekly_hours("Mon-Fri 08:00-16:00"))
    assert open_dates(hamburg, date(2027, 3, 26), date(2027, 3, 30)) == [date(2027, 3, 30)]  # Good Friday, Easter Monday


def test_days_away_close_whole_days() -> None:
    calendar = panjin(days_away=frozenset({date(2027, 3, 23)}))
    assert open_dates(calendar, date(2027, 3, 22), date(2027, 3, 24)) == [date(2027, 3, 22), date(2027, 3, 24)]


def test_windows_of_one_day_merge_before_expansion() -> None:
    calendar = panjin(windows=(WeeklyWindow(0, time(9), time(10)), WeeklyWindow(0, time(10), time(11))))
    (window,) = open_windows(calendar, date(2027, 3, 22), date(2027, 3, 22))
    assert window.span == DateRange(at("2027-03-22 01:00"), at("2027-03-22 03:00"))
