"""tandem demo: the example programme end to end, and its facts checked in what it wrote."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from bot.demo import DemoResult, run_demo
from bot.demo.scenario import load_scenario
from bot.planner import parse_weekly_hours

QINGMING = date(2027, 4, 5)


def calendars_under(folder: Path) -> list[tuple[Path, icalendar.Calendar]]:
    return [(path, icalendar.Calendar.from_ical(path.read_bytes())) for path in sorted(folder.rglob("*.ics"))]


async def test_the_demo_plays_the_programme_and_keeps_every_fact_of_the_scenario(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    printed = io.StringIO()
    result: DemoResult = await run_demo(out, stdout=printed)
    scenario = load_scenario()
    hours = {c.name: parse_weekly_hours(c.hours) for c in scenario.cities}
    away = {c.name: set(c.away) for c in scenario.cities}

    assert result.matches_planned == 11 and result.matches_confirmed == 11
    assert len(result.sessions) == 11
    for session in result.sessions:
        start, end = session["start_utc"], session["end_utc"]
        for city in (session["city_a"], session["city_b"]):
            local_start, local_end = start.astimezone(ZoneInfo(city.timezone)), end.astimezone(ZoneInfo(city.timezone))
            assert any(
                w.weekday == local_start.weekday() and w.start <= local_start.time() and local_end.time() <= w.end
                for w in hours[city.name]
            ), f"{city.name} at {local_start}"
            assert local_start.date() not in away[city.name]
            if city.name == "Panjin":
                assert local_start.date() != QINGMING
            if city.name == "Lisbon":
                assert start >= datetime(2027, 3, 29, tzinfo=timezone.utc)

    # Every .ics the bot sent is on disk, in a folder per recipient (Telegram id, or e-mail address).
    files = calendars_under(out)
    folders = {path.parent.name for path, _ in files}
    assert {"2001", "2002", "3001", "4001", "5001", "6001", "7001", "1001", "wang.fang@panjin.example.cn"} <= folders
    by_uid: dict[str, list[icalendar.Calendar]] = {}
    for _, calendar in files:
        [event] = calendar.walk("VEVENT")
        by_uid.setdefault(str(event["UID"]), []).append(calendar)

    assert result.rescheduled_uid is not None and result.cancelled_uid is not None
    moved = [(str(c["METHOD"]), int(c.walk("VEVENT")[0]["SEQUENCE"])) for c in by_uid[result.rescheduled_uid]]
    assert ("REQUEST", 0) in moved and ("REQUEST", 1) in moved
    cancelled = [c for c in by_uid[result.cancelled_uid] if str(c["METHOD"]) == "CANCEL"]
    assert cancelled
    for calendar in cancelled:
        [event] = calendar.walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) >= 1
    # A file is REQUEST or CANCEL only where it names its recipient as ATTENDEE (the e-mail
    # recipient); the Telegram-only people get PUBLISH, the cancellation as STATUS:CANCELLED.
    for path, calendar in files:
        [event] = calendar.walk("VEVENT")
        attendees = event.get("ATTENDEE", [])
        addresses = [str(a).removeprefix("mailto:") for a in (attendees if isinstance(attendees, list) else [attendees])]
        if "@" in path.parent.name:
            assert str(calendar["METHOD"]) in ("REQUEST", "CANCEL") and path.parent.name in addresses, path
        else:
            assert str(calendar["METHOD"]) == "PUBLISH" and addresses == [], path
    published_cancellations = [c for c in by_uid[result.cancelled_uid] if str(c["METHOD"]) == "PUBLISH"
                               and str(c.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"]
    assert published_cancellations

    # Transcripts per person, a summary, and what each person saw printed.
    transcripts = sorted(p.name for p in (out / "transcripts").iterdir())
    assert any(name.startswith("2001-") for name in transcripts) and len(transcripts) == 8
    li_wei = (out / "transcripts" / next(n for n in transcripts if n.startswith("2001-"))).read_text(encoding="utf-8")
    confirmed = sum(1 for session in result.sessions if session["status"] == "confirmed")
    # Li Wei (Panjin, Chinese) was welcomed in Chinese and reminded 24 h and 1 h before each session.
    assert "欢迎" in li_wei and li_wei.count("提醒：") == 2 * confirmed == 20
    assert "Sessions" in printed.getvalue() and (out / "summary.txt").read_text(encoding="utf-8").count("Panjin–") == 11
    assert result.emails > 0
    # Afterwards: every city reported on a session, and the coordinator's roadmap shows it.
    coordinator = (out / "transcripts" / next(n for n in transcripts if n.startswith("1001-"))).read_text(encoding="utf-8")
    roadmap = coordinator[coordinator.rindex("/roadmap"):]
    assert roadmap.count("exchange of experts and a study visit") == 6
