"""Reminder times bounded on both sides, over zones, clock changes and offsets.

A reminder configured ``offset`` before a session is due at ``start - offset`` in real time (24 h
before is 24 real hours across a clock change), never earlier; if that moment has passed when the
session is confirmed by no more than the grace, it is due at once (late by at most the grace); if
it has passed by more, it is skipped; and nothing is due at or after the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import event, given
from hypothesis import strategies as st

from bot.reminders import QUEUE_GRACE, reminder_times

UTC = timezone.utc
ZONES = [
    "UTC", "Europe/Lisbon", "Europe/Berlin", "America/New_York", "America/Santiago", "America/St_Johns",
    "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Asia/Shanghai", "Asia/Kathmandu",
]
# Clock changes of 2027 (UTC): the EU springs forward and falls back, the US, Chile at midnight,
# Lord Howe by half an hour, New Zealand; starts are drawn within a week of one of them, or anywhere.
CHANGES = [
    datetime(2027, 3, 28, 1, 0), datetime(2027, 10, 31, 1, 0), datetime(2027, 3, 14, 7, 0), datetime(2027, 11, 7, 6, 0),
    datetime(2027, 4, 4, 3, 0), datetime(2027, 9, 5, 4, 0), datetime(2027, 4, 3, 15, 0), datetime(2027, 9, 25, 14, 0),
]


@st.composite
def session_starts(draw: st.DrawFn) -> datetime:
    """An aware start in some city's zone, often within days of a clock change."""
    if draw(st.booleans()):
        instant = draw(st.sampled_from(CHANGES)) + draw(st.timedeltas(timedelta(days=-7), timedelta(days=7)))
    else:
        instant = draw(st.datetimes(datetime(2026, 1, 1), datetime(2029, 1, 1)))
    return instant.replace(tzinfo=UTC).astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


@st.composite
def bookings(draw: st.DrawFn) -> tuple[list[timedelta], timedelta]:
    """Offsets, and how long before the start the session is confirmed: anywhere, or (half the time)
    near one offset's due time, where "on time", "late within the grace" and "skipped" meet."""
    offsets = draw(st.lists(st.timedeltas(timedelta(minutes=1), timedelta(days=8)), min_size=1, max_size=5))
    if draw(st.booleans()):
        return offsets, draw(st.timedeltas(timedelta(hours=-2), timedelta(days=10)))
    near = draw(st.sampled_from(offsets)) - draw(st.timedeltas(timedelta(minutes=-10), timedelta(minutes=40)))
    return offsets, near


@given(
    start=session_starts(),
    booking=bookings(),
    grace=st.sampled_from([QUEUE_GRACE, timedelta(0), timedelta(minutes=30)]),
    now_zone=st.sampled_from(ZONES),
)
def test_a_reminder_is_never_early_late_only_by_the_grace_and_never_at_or_after_the_start(
    start: datetime, booking: tuple[list[timedelta], timedelta], grace: timedelta, now_zone: str
) -> None:
    offsets, booked_before = booking
    # Arithmetic on aware datetimes of one zone follows the wall clock (02:00 WEST minus 5 minutes is
    # 01:55, an hour that does not exist): the expectations are computed in UTC only.
    start_utc = start.astimezone(UTC)
    now_utc = start_utc - booked_before
    now = now_utc.astimezone(ZoneInfo(now_zone))
    times = reminder_times(start, offsets, now, grace)
    for reminder in times:
        assert reminder.due_utc.utcoffset() == timedelta(0)
        exact = start_utc - reminder.offset  # real time: UTC arithmetic, whatever the zones
        assert exact <= reminder.due_utc <= exact + grace
        assert now_utc <= reminder.due_utc < start_utc
        if exact >= now_utc:
            assert reminder.due_utc == exact
        event("queued late, within the grace" if reminder.due_utc > exact else "queued on time")
    if len(times) < len(set(offsets)):
        event("some skipped")
    # Exactly the offsets still within the grace are kept, once each, earliest due first.
    expected = sorted({o for o in offsets if start_utc - o >= now_utc - grace}, reverse=True) if now_utc < start_utc else []
    assert [t.offset for t in times] == expected
    assert [t.due_utc for t in times] == sorted(t.due_utc for t in times)
