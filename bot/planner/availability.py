"""Weekly meeting hours and days away as text: parse what contacts type, render it back.

The canonical form is ``Mon-Fri 09:00-12:00, 14:00-17:30; Sat 10:00-12:00``: groups of days that
share the same windows, separated by ``;``, each window ``HH:MM-HH:MM``. A window with no day spec
of its own belongs to the last day spec seen, and ``,`` and ``;`` both separate items, so
``Mon-Thu 08:00-16:00, Fri 08:00-13:00`` means what it says. ``24:00`` ends a window at midnight;
inside Tandem that end is stored as ``time(0)`` (a window never runs past local midnight).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time, timedelta

from bot.domain import InvalidInputError, WeeklyWindow, excerpt, excerpt_at

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_BY_NAME = {name.lower(): index for index, name in enumerate(DAY_NAMES)} | {
    name: index for index, name in enumerate(_LONG_DAY_NAMES)
}
_DASHES = "-–—"  # hyphen, en dash, em dash: phones and word processors turn one into another
MIDNIGHT = time(0)
MAX_DAYS_AWAY_RANGE = 366

_TOKEN = re.compile(
    r"\s*(?:(?P<day>[A-Za-z]+)|(?P<time>\d{1,2}(?:[:.]\d{1,2})?)|(?P<dash>[-–—])|(?P<sep>[,;])|(?P<other>\S))"
)


def _minutes(value: time) -> int:
    """Minutes after local midnight; an end of ``time(0)`` means 24:00 and is handled by callers."""
    return value.hour * 60 + value.minute


def window_end_minutes(window: WeeklyWindow) -> int:
    """The window's end in minutes after midnight, 1440 for a window that runs to 24:00."""
    return 1440 if window.end == MIDNIGHT else _minutes(window.end)


def normalize_windows(windows: Iterable[WeeklyWindow]) -> tuple[WeeklyWindow, ...]:
    """Sort windows by day and start and merge those of one day that touch or overlap."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for window in windows:
        by_day.setdefault(window.weekday, []).append(
            (_minutes(window.start), window_end_minutes(window))
        )
    merged: list[WeeklyWindow] = []
    for weekday in sorted(by_day):
        spans: list[list[int]] = []
        for start, end in sorted(by_day[weekday]):
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        for start, end in spans:
            merged.append(WeeklyWindow(weekday, _time_of(start), _time_of(end)))
    return tuple(merged)


def _time_of(minutes: int) -> time:
    return MIDNIGHT if minutes == 1440 else time(minutes // 60, minutes % 60)


def _format_time(value: time, *, is_end: bool) -> str:
    if is_end and value == MIDNIGHT:
        return "24:00"
    return f"{value.hour:02d}:{value.minute:02d}"


def render_weekly_hours(windows: Iterable[WeeklyWindow]) -> str:
    """Render windows in the canonical text form; ``parse_weekly_hours`` reads it back unchanged."""
    normalized = normalize_windows(windows)
    by_day: dict[int, tuple[tuple[time, time], ...]] = {}
    for window in normalized:
        by_day[window.weekday] = by_day.get(window.weekday, ()) + ((window.start, window.end),)
    groups: list[str] = []
    weekday = 0
    while weekday < 7:
        spans = by_day.get(weekday)
        if not spans:
            weekday += 1
            continue
        last = weekday
        while last + 1 < 7 and by_day.get(last + 1) == spans:
            last += 1
        days = DAY_NAMES[weekday] if last == weekday else f"{DAY_NAMES[weekday]}-{DAY_NAMES[last]}"
        ranges = ", ".join(
            f"{_format_time(start, is_end=False)}-{_format_time(end, is_end=True)}"
            for start, end in spans
        )
        groups.append(f"{days} {ranges}")
        weekday = last + 1
    return "; ".join(groups)


class _Tokens:
    """A cursor over the tokens of one line of hours, keeping each token's 1-based column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "other"
            self.items.append((kind, match.group(kind), match.start(kind) + 1))
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self) -> tuple[str, str, int]:
        item = self.items[self.index]
        self.index += 1
        return item

    def error(self, expected: str, column: int | None = None) -> InvalidInputError:
        if column is None:
            token = self.peek()
            column = token[2] if token else len(self.text.rstrip()) + 1
            found = f'found "{excerpt(token[1])}"' if token else "found the end of the text"
            return InvalidInputError(
                f'{expected}; {found} at character {column} of "{excerpt_at(self.text, column)}"'
            )
        # The text is quoted around the mistake, not whole: an answer must fit in one message.
        return InvalidInputError(f'{expected} at character {column} of "{excerpt_at(self.text, column)}"')


def _parse_time(tokens: _Tokens, *, is_end: bool) -> tuple[int, int]:
    """Read one time of day; return (minutes after midnight, column)."""
    token = tokens.peek()
    if token is None or token[0] != "time":
        raise tokens.error("expected a time such as 09:00")
    _, raw, column = tokens.take()
    hour_text, _, minute_text = raw.replace(".", ":").partition(":")
    hour = int(hour_text)
    minute = int(minute_text) if minute_text else 0
    if minute_text and len(minute_text) != 2:
        raise tokens.error(f'minutes "{excerpt(minute_text)}" need two digits, as in 09:05', column)
    if hour == 24 and minute == 0:
        if not is_end:
            raise tokens.error("24:00 can only end a window, not start one", column)
        return 1440, column
    if hour > 23:
        raise tokens.error(f"hour {hour} is not a time of day (expected 0-23, or 24:00 as an end)", column)
    if minute > 59:
        raise tokens.error(f"minute {minute} is not a time of day (expected 00-59)", column)
    return hour * 60 + minute, column


def _parse_day(tokens: _Tokens) -> int:
    _, raw, column = tokens.take()
    weekday = _DAY_BY_NAME.get(raw.lower())
    if weekday is None:
        raise tokens.error(f'"{excerpt(raw)}" is not a day; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun', column)
    return weekday


def _parse_day_spec(tokens: _Tokens) -> tuple[int, ...]:
    first = _parse_day(tokens)
    token = tokens.peek()
    if token is None or token[0] != "dash":
        return (first,)
    tokens.take()
    token = tokens.peek()
    if token is None or token[0] != "day":
        raise tokens.error("expected a day after the dash, as in Mon-Fri")
    last = _parse_day(tokens)
    span = (last - first) % 7  # Fri-Mon wraps over the weekend: Fri, Sat, Sun, Mon
    return tuple((first + offset) % 7 for offset in range(span + 1))


def parse_weekly_hours(text: str) -> tuple[WeeklyWindow, ...]:
    """Parse ``Mon-Fri 09:00-12:00, 14:00-17:30; Sat 10:00-12:00`` into normalized windows."""
    tokens = _Tokens(text)
    if not tokens.items:
        raise InvalidInputError('expected hours such as "Mon-Fri 09:00-12:00, 14:00-17:30"; the text is empty')
    windows: list[WeeklyWindow] = []
    days: tuple[int, ...] | None = None
    while tokens.peek() is not None:
        token = tokens.peek()
        assert token is not None
        if token[0] == "sep":
            tokens.take()
            continue
        if token[0] == "day":
            days = _parse_day_spec(tokens)
            token = tokens.peek()
            if token is None or token[0] != "time":
                raise tokens.error("expected a time range such as 09:00-12:00 after the days")
        elif token[0] != "time":
            raise tokens.error("expected a day such as Mon or Mon-Fri, or a time range such as 09:00-12:00")
        if days is None:
            raise tokens.error("expected a day such as Mon or Mon-Fri before the first time range")
        start, start_column = _parse_time(tokens, is_end=False)
        token = tokens.peek()
        if token is None or token[0] != "dash":
            raise tokens.error("expected a dash between start and end, as in 09:00-12:00")
        tokens.take()
        end, _ = _parse_time(tokens, is_end=True)
        if end <= start:
            raise tokens.error(
                f"the window ends at {_time_text(end)}, not after its start {_time_text(start)}; "
                "a window must end on the same day it starts (split one that runs past midnight)",
                start_column,
            )
        token = tokens.peek()
        if token is not None and token[0] != "sep":
            raise tokens.error("expected , or ; between items")
        for weekday in days:
            windows.append(WeeklyWindow(weekday, _time_of(start), _time_of(end)))
    return normalize_windows(windows)


def _time_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_days_away(text: str) -> list[date]:
    """Parse ``2027-04-01, 2027-04-06..2027-04-08`` (or an en dash range) into sorted unique dates."""
    days: set[date] = set()
    position = 0
    for raw_item in text.split(","):
        item_column = position + 1 + (len(raw_item) - len(raw_item.lstrip()))
        position += len(raw_item) + 1
        item = raw_item.strip()
        if not item:
            continue
        parts = _split_range(item)
        dates: list[date] = []
        offset = item_column
        for part in parts:
            column = offset + (len(part) - len(part.lstrip()))
            offset += len(part) + 2
            dates.append(_parse_date(part.strip(), column, text))
        if len(dates) == 1:
            days.add(dates[0])
            continue
        first, last = dates
        if last < first:
            raise InvalidInputError(
                f'the range "{excerpt(item)}" ends before it starts (at character {item_column} of "{excerpt_at(text, item_column)}")'
            )
        if (last - first).days >= MAX_DAYS_AWAY_RANGE:
            raise InvalidInputError(
                f'the range "{excerpt(item)}" is longer than a year (at character {item_column} of "{excerpt_at(text, item_column)}")'
            )
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    if not days:
        raise InvalidInputError(f'expected dates such as 2027-04-01 or 2027-04-01..2027-04-03; got "{excerpt(text)}"')
    return sorted(days)


def _split_range(item: str) -> list[str]:
    """Split ``A..B``, ``A – B`` or ``A - B`` (spaces required around a plain dash) into its parts."""
    if ".." in item:
        return item.split("..", 1)
    for dash in "–—":
        if dash in item:
            return item.split(dash, 1)
    if " - " in item:
        return item.split(" - ", 1)
    return [item]


def _parse_date(raw: str, column: int, text: str) -> date:
    if not _DATE.fullmatch(raw):
        raise InvalidInputError(
            f'expected a date as YYYY-MM-DD; found "{excerpt(raw)}" at character {column} of "{excerpt_at(text, column)}"'
        )
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInputError(
            f'"{excerpt(raw)}" is not a calendar date (at character {column} of "{excerpt_at(text, column)}")'
        ) from None
