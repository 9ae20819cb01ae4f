"""Which reminders a session gets, and when: pure arithmetic with fixed instants."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Channel
from bot.reminders import QUEUE_GRACE, reminder_key, reminder_times

H = timedelta(hours=1)
START = datetime(2027, 3, 31, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("booked_before_start", "expected"),
    [
        # offsets 24 h and 1 h; (offset, due relative to the start)
        (timedelta(hours=30), [(24 * H, -24 * H), (H, -H)]),
        (timedelta(hours=23, minutes=58), [(24 * H, -timedelta(hours=23, minutes=58)), (H, -H)]),  # 2 min late: due now
        (timedelta(hours=5), [(H, -H)]),  # the 24 h one would have been due 19 h ago
        (timedelta(minutes=58), [(H, -timedelta(minutes=58))]),
        (timedelta(minutes=40), []),  # 20 min past: the invite is the reminder
        (timedelta(0), []),
        (-H, []),  # the session has begun
    ],
    ids=["30h", "23h58m", "5h", "58m", "40m", "at-start", "begun"],
)
def test_a_session_booked_late_gets_only_the_reminders_that_still_make_sense(
    booked_before_start: timedelta, expected: list[tuple[timedelta, timedelta]]
) -> None:
    now = START - booked_before_start
    times = reminder_times(START, [H, 24 * H], now)
    assert [(t.offset, t.due_utc - START) for t in times] == expected


def test_a_day_before_is_24_real_hours_across_the_spring_forward_in_lisbon() -> None:
    # Europe/Lisbon springs forward on Sunday 2027-03-28 at 01:00 UTC. A session at 09:00 WEST that
    # Sunday (08:00 UTC) is reminded at 08:00 UTC on Saturday, which is 08:00 WET: 24 real hours
    # before, although the wall clock says 25.
    start = datetime(2027, 3, 28, 9, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    [day_before] = reminder_times(start, [24 * H], datetime(2027, 3, 20, tzinfo=timezone.utc))
    assert day_before.due_utc == datetime(2027, 3, 27, 8, 0, tzinfo=timezone.utc)
    assert day_before.due_utc.astimezone(ZoneInfo("Europe/Lisbon")).hour == 8


def test_offsets_given_twice_or_unsorted_give_one_reminder_each() -> None:
    times = reminder_times(START, [H, 24 * H, H], START - 48 * H)
    assert [t.offset for t in times] == [24 * H, H]


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        reminder_times(datetime(2027, 3, 31, 8, 0), [H], START - 48 * H)


def test_a_zero_offset_is_refused_with_its_value() -> None:
    with pytest.raises(ValueError, match="positive"):
        reminder_times(START, [timedelta(0)], START - 48 * H)


def test_the_dedupe_key_names_session_sequence_offset_contact_and_channel() -> None:
    assert reminder_key(7, 2, 24 * H, 31, Channel.EMAIL) == "reminder:7:2:86400:31:email"
    assert reminder_key(7, 3, 24 * H, 31, Channel.EMAIL) != reminder_key(7, 2, 24 * H, 31, Channel.EMAIL)


@given(
    before=st.timedeltas(min_value=timedelta(minutes=-120), max_value=timedelta(days=30)),
    offsets=st.lists(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=7)), min_size=1, max_size=4),
)
def test_reminders_are_never_before_now_nor_after_the_start_and_never_missed_by_more_than_the_grace(
    before: timedelta, offsets: list[timedelta]
) -> None:
    now = START - before
    times = reminder_times(START, offsets, now)
    for t in times:
        assert now <= t.due_utc < START
        assert t.due_utc - (START - t.offset) <= QUEUE_GRACE
    kept = {t.offset for t in times}
    for offset in set(offsets) - kept:
        assert START - offset < now - QUEUE_GRACE or START <= now
