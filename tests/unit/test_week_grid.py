"""The hours page's week grid: cells to weekly rules and back, and a partner's week in another zone."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain import InvalidInputError, WeeklyWindow
from bot.planner import CityCalendar, parse_weekly_hours, render_weekly_hours, weekly_overlap
from bot.week_grid import SLOTS_PER_DAY, cells_in_zone, cells_of, fits_the_grid, parse_cell, windows_of

ZONES = ["Asia/Shanghai", "Europe/Lisbon", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu", "UTC"]
# Weeks around clock changes: EU spring forward 28 Mar 2027, US 14 Mar 2027, NZ back 4 Apr 2027, EU back 31 Oct 2027.
WEEKS = [date(2027, 3, 22), date(2027, 3, 8), date(2027, 3, 29), date(2027, 10, 25), date(2027, 6, 7)]


def test_painted_cells_become_the_rules_the_chat_writes() -> None:
    cells = {(day, slot) for day in range(5) for slot in [*range(18, 24), *range(28, 35)]}
    assert render_weekly_hours(windows_of(cells)) == "Mon-Fri 09:00-12:00, 14:00-17:30"
    assert cells_of(parse_weekly_hours("Mon-Fri 09:00-12:00, 14:00-17:30")) == cells


def test_the_last_half_hour_of_a_day_ends_at_midnight() -> None:
    assert windows_of({(6, 46), (6, 47)}) == (WeeklyWindow(6, time(23, 0), time(0)),)
    assert cells_of([WeeklyWindow(6, time(23, 0), time(0))]) == {(6, 46), (6, 47)}


def test_windows_between_half_hours_show_the_half_hours_they_cover_whole() -> None:
    windows = parse_weekly_hours("Mon 09:15-10:45")
    assert not fits_the_grid(windows) and cells_of(windows) == {(0, 19), (0, 20)}
    assert fits_the_grid(parse_weekly_hours("Mon 09:00-10:30"))


@pytest.mark.parametrize("text", ["7-1", "0-48", "-1-3", "a-b", "0", ""])
def test_a_cell_outside_the_week_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        windows_of([parse_cell(text)])


@given(st.sets(st.tuples(st.integers(0, 6), st.integers(0, SLOTS_PER_DAY - 1)), max_size=80))
def test_cells_and_windows_are_two_ways_of_writing_the_same_hours(cells: set[tuple[int, int]]) -> None:
    assert cells_of(windows_of(cells)) == cells


def test_hamburgs_office_hours_on_panjins_grid_move_when_europe_changes_its_clocks() -> None:
    hamburg = parse_weekly_hours("Mon-Fri 09:00-17:00")
    winter = cells_in_zone("Europe/Berlin", hamburg, "Asia/Shanghai", date(2027, 3, 22))
    summer = cells_in_zone("Europe/Berlin", hamburg, "Asia/Shanghai", date(2027, 3, 29))
    assert winter == {(day, slot) for day in range(5) for slot in range(32, 48)}  # 16:00-24:00 Panjin
    assert summer == {(day, slot) for day in range(5) for slot in range(30, 46)}  # 15:00-23:00 Panjin


def test_auckland_mornings_are_the_previous_afternoon_in_los_angeles() -> None:
    auckland = parse_weekly_hours("Mon 08:00-10:00")  # NZDT, UTC+13 until 4 April 2027
    cells = cells_in_zone("Pacific/Auckland", auckland, "America/Los_Angeles", date(2027, 3, 22))
    # Monday 08:00 in Auckland is Sunday 12:00 in Los Angeles (PDT, UTC-7); that Sunday lies in the
    # week of 22 March only as its last day, which is the following Sunday (28 March) 12:00-14:00.
    assert cells == {(6, slot) for slot in range(24, 28)}


def test_lisbons_repeated_hour_shows_a_partner_who_covers_its_first_pass() -> None:
    # Lisbon falls back on Sunday 31 October 2027: 02:00 WEST becomes 01:00 WET at 01:00 UTC, so
    # 01:00-02:00 happens twice. Shanghai's Sunday 01:30-09:30 (UTC+8) is Saturday 17:30 - Sunday
    # 01:30 UTC: in Lisbon Saturday 18:30 WEST to Sunday 01:30 WET, the whole first pass of 00:00-02:00
    # and 01:00-01:30 once more. A wall-clock cell stands for its first pass (as Lisbon's own hours
    # do, and the planner books), so Sunday shows 00:00-02:00, cells 0 to 3 - not 00:00-01:30.
    shanghai = parse_weekly_hours("Sun 01:30-09:30")
    cells = cells_in_zone("Asia/Shanghai", shanghai, "Europe/Lisbon", date(2027, 10, 25))
    assert cells == {(5, slot) for slot in range(37, 48)} | {(6, slot) for slot in range(0, 4)}
    # Only the second pass (Shanghai's Sunday 09:00-10:00 is 01:00-02:00 UTC, 01:00-02:00 WET): the
    # planner never meets Lisbon's 01:00-02:00 there, so the grid shows nothing at that hour.
    assert cells_in_zone("Asia/Shanghai", parse_weekly_hours("Sun 09:00-11:00"), "Europe/Lisbon", date(2027, 10, 25)) == {(6, 4), (6, 5)}


def test_lisbons_skipped_hour_is_shown_when_the_partner_is_there_on_both_sides_of_the_jump() -> None:
    # Lisbon springs forward on Sunday 28 March 2027 (the last day of the week of 22 March): 01:00 WET
    # becomes 02:00 WEST at 01:00 UTC, so 01:00-02:00 (cells 2, 3) does not happen. Shanghai's Sunday
    # 08:00-10:00 is 00:00-02:00 UTC, Lisbon 00:00-03:00 with no hole; 08:00-09:00 ends at the jump
    # (Lisbon 00:00-01:00) and 09:00-10:00 starts there (Lisbon 02:00-03:00).
    def on_lisbons_sunday(hours: str) -> set[int]:
        return {slot for day, slot in cells_in_zone("Asia/Shanghai", parse_weekly_hours(hours), "Europe/Lisbon", date(2027, 3, 22)) if day == 6}

    assert on_lisbons_sunday("Sun 08:00-10:00") == {0, 1, 2, 3, 4, 5}
    assert on_lisbons_sunday("Sun 08:00-09:00") == {0, 1}
    assert on_lisbons_sunday("Sun 09:00-10:00") == {4, 5}


def test_a_partners_evening_across_its_midnight_is_one_stretch_on_the_grid() -> None:
    # Kathmandu (UTC+5:45) writes a late evening as two windows, Mon 20:00-24:00 and Tue 00:00-02:00:
    # 14:15-20:15 UTC, Lisbon (WEST) Monday 15:15-21:15. Its midnight, 19:15 Lisbon, is inside the
    # half hour 19:00-19:30, which the partner covers whole: cells 31 (15:30) to 41 (until 21:00).
    kathmandu = parse_weekly_hours("Mon 20:00-24:00; Tue 00:00-02:00")
    assert cells_in_zone("Asia/Kathmandu", kathmandu, "Europe/Lisbon", date(2027, 6, 7)) == {(0, slot) for slot in range(31, 42)}


@settings(max_examples=150, deadline=None)
@example(  # Lisbon falls back on 31 October 2027 while Shanghai's Sunday morning is its Saturday night
    partner_zone="Asia/Shanghai", zone="Europe/Lisbon", week=date(2027, 10, 25), windows=[WeeklyWindow(6, time(1, 30), time(9, 30))],
)
@example(  # Kathmandu's midnight falls inside a Lisbon half hour
    partner_zone="Asia/Kathmandu", zone="Europe/Lisbon", week=date(2027, 6, 7), windows=[WeeklyWindow(0, time(20), time(0)), WeeklyWindow(1, time(0), time(2))],
)
@given(
    partner_zone=st.sampled_from(ZONES), zone=st.sampled_from(ZONES), week=st.sampled_from(WEEKS),
    windows=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 46), st.integers(1, 16)).map(
            lambda t: WeeklyWindow(t[0], time(t[1] // 2, 30 * (t[1] % 2)), time(0) if t[1] + t[2] >= 48 else time((t[1] + t[2]) // 2, 30 * ((t[1] + t[2]) % 2)))
        ),
        min_size=1, max_size=6,
    ),
)
def test_a_partners_week_on_the_grid_is_the_planners_overlap_with_a_whole_week(partner_zone: str, zone: str, week: date, windows: list[WeeklyWindow]) -> None:
    """Against the planner's own conversion: the partner's week overlapped with every hour of ours."""
    from bot.planner.availability import normalize_windows

    partner = CityCalendar(id=1, tz=partner_zone, country=None, subdivision=None, windows=tuple(windows))
    whole_week = CityCalendar(id=2, tz=zone, country=None, subdivision=None, windows=tuple(WeeklyWindow(d, time(0), time(0)) for d in range(7)))
    expected = cells_of(WeeklyWindow(d, start, end) for d, start, end in weekly_overlap(whole_week, partner, week))
    assert cells_in_zone(partner_zone, normalize_windows(windows), zone, week) == expected

