"""Weekly hours and days away as text: tables of inputs, error positions, and the round trip."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import InvalidInputError, WeeklyWindow
from bot.planner.availability import normalize_windows, parse_days_away, parse_weekly_hours, render_weekly_hours

W = WeeklyWindow


def days(first: int, last: int, start: time, end: time) -> list[WeeklyWindow]:
    return [W(d, start, end) for d in range(first, last + 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mon-Fri 09:00-12:00, 14:00-17:30; Sat 10:00-12:00",
            days(0, 4, time(9), time(12)) + days(0, 4, time(14), time(17, 30)) + [W(5, time(10), time(12))],
        ),
        ("Mon-Thu 08:00-16:00, Fri 08:00-13:00", days(0, 3, time(8), time(16)) + [W(4, time(8), time(13))]),
        ("mon 9-12", [W(0, time(9), time(12))]),
        ("Tue 9:00–12:30", [W(1, time(9), time(12, 30))]),  # en dash
        ("Sun 20:00-24:00", [W(6, time(20), time(0))]),  # 24:00 ends the day, stored as time(0)
        ("Fri-Mon 10:00-11:00", [W(d, time(10), time(11)) for d in (0, 4, 5, 6)]),  # wraps the weekend
        ("Wednesday 09:00-10:00", [W(2, time(9), time(10))]),
        ("Mon 09:00-11:00, 10:00-12:00, 12:00-13:00", [W(0, time(9), time(13))]),  # touching windows merge
        ("Mon-Fri 08:30-11:30, 13:30-17:30", days(0, 4, time(8, 30), time(11, 30)) + days(0, 4, time(13, 30), time(17, 30))),
    ],
)
def test_hours_text_is_parsed(text: str, expected: list[WeeklyWindow]) -> None:
    assert parse_weekly_hours(text) == normalize_windows(expected)


@pytest.mark.parametrize(
    ("text", "message_parts"),
    [
        ("Mon-Fri 9-25", ["hour 25 is not a time of day", "character 11"]),
        ("Mon-Fri 09:00-12:61", ["minute 61", "character 15"]),
        ("09:00-12:00", ["expected a day", "character 1"]),
        ("Mon-Fri", ["expected a time range", "end of the text"]),
        ("Mox 09:00-12:00", ['"Mox" is not a day', "character 1"]),
        ("Mon 14:00-12:00", ["not after its start 14:00", "character 5"]),
        ("Mon 24:00-12:00", ["24:00 can only end a window", "character 5"]),
        ("Mon 09:00 12:00", ["expected a dash", "character 11"]),
        ("", ["empty"]),
        ("Mon 9:5-10", ["two digits", "character 5"]),
    ],
)
def test_bad_hours_text_says_what_was_expected_and_where(text: str, message_parts: list[str]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_weekly_hours(text)
    for part in message_parts:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("mon-fri 9-12, 14-17:30; sat 10-12", "Mon-Fri 09:00-12:00, 14:00-17:30; Sat 10:00-12:00"),
        ("Mon-Thu 8-16, Fri 8-13", "Mon-Thu 08:00-16:00; Fri 08:00-13:00"),
        ("Mon 9-12; Wed 9-12", "Mon 09:00-12:00; Wed 09:00-12:00"),
        ("Sun 22:00-24:00", "Sun 22:00-24:00"),
    ],
)
def test_hours_render_in_canonical_form(text: str, canonical: str) -> None:
    assert render_weekly_hours(parse_weekly_hours(text)) == canonical
    assert parse_weekly_hours(canonical) == parse_weekly_hours(text)


@st.composite
def weekly_windows(draw: st.DrawFn) -> list[WeeklyWindow]:
    windows = []
    for _ in range(draw(st.integers(1, 10))):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        weekday = draw(st.integers(0, 6))
        end_time = time(0) if end == 1440 else time(end // 60, end % 60)
        windows.append(W(weekday, time(start // 60, start % 60), end_time))
    return windows


@given(weekly_windows())
def test_rendered_hours_parse_back_to_the_same_windows(windows: list[WeeklyWindow]) -> None:
    normalized = normalize_windows(windows)
    assert parse_weekly_hours(render_weekly_hours(normalized)) == normalized


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-04-01", [date(2027, 4, 1)]),
        ("2027-04-01..2027-04-03", [date(2027, 4, 1), date(2027, 4, 2), date(2027, 4, 3)]),
        ("2027-04-01 – 2027-04-02, 2027-03-25", [date(2027, 3, 25), date(2027, 4, 1), date(2027, 4, 2)]),
        ("2027-04-02, 2027-04-01..2027-04-02", [date(2027, 4, 1), date(2027, 4, 2)]),
    ],
)
def test_days_away_are_parsed(text: str, expected: list[date]) -> None:
    assert parse_days_away(text) == expected


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("2027-02-30", '"2027-02-30" is not a calendar date'),
        ("1 April", "expected a date as YYYY-MM-DD"),
        ("2027-04-03..2027-04-01", "ends before it starts"),
        ("2027-01-01..2029-01-01", "longer than a year"),
        (" , ", "expected dates"),
    ],
)
def test_bad_days_away_say_what_was_expected(text: str, message_part: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_days_away(text)
    assert message_part in str(caught.value)
