"""tandem export: confirmed sessions from the database as PUBLISH .ics and CSV, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import icalendar

from bot.clock import ManualClock
from bot.config import Config
from bot.domain import MatchStatus
from bot.services.schedule_export import export_schedule
from storage.uow import UnitOfWorkFactory

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)


async def confirmed_and_cancelled(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        lisbon = await uow.cities.add(name="Lisbon", country="PT", timezone="Europe/Lisbon", group="EU", now_utc=NOW)
        hamburg = await uow.cities.add(name="Hamburg", country="DE", timezone="Europe/Berlin", group="EU", now_utc=NOW)
        await uow.topics.sync([("smart-city", {"en": "Smart city operation", "zh": "智慧城市运营管理"})])
        topic = await uow.topics.by_key("smart-city")
        for city, start, uid in ((lisbon, datetime(2027, 3, 30, 8, 30, tzinfo=timezone.utc), "lisbon@tandem"),
                                 (hamburg, datetime(2027, 3, 31, 7, 0, tzinfo=timezone.utc), "hamburg@tandem")):
            match = await uow.matches.create(panjin.id, city.id, topic.id, NOW)
            await uow.matches.transition(match.id, [MatchStatus.OPEN], MatchStatus.CONFIRMED, NOW)
            session = await uow.sessions.add(
                match_id=match.id, start_utc=start, duration_minutes=60, meeting_link="https://meet.jit.si/tandem-x",
                ical_uid=uid, confirmed_by=1001, now_utc=NOW,
            )
            if city is hamburg:
                await uow.sessions.cancel(session.id, now_utc=NOW + timedelta(hours=1))
        await uow.commit()


async def test_export_writes_only_confirmed_sessions_at_their_utc_instant(uow_factory: UnitOfWorkFactory, tmp_path: Path) -> None:
    await confirmed_and_cancelled(uow_factory)
    files = await export_schedule(Config(), ManualClock(NOW), uow_factory, tmp_path)
    assert files.sessions == 1
    calendar = icalendar.Calendar.from_ical(files.ics.read_bytes())
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "lisbon@tandem"
    assert event.decoded("DTSTART").astimezone(timezone.utc) == datetime(2027, 3, 30, 8, 30, tzinfo=timezone.utc)
    text = files.csv.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row_text = " ".join(rows[0].values())
    assert "Panjin" in row_text and "Lisbon" in row_text and "Smart city operation" in row_text
    # 08:30 UTC is 16:30 in Panjin and 09:30 in Lisbon (summer time began on 28 March).
    assert "16:30" in row_text and "09:30" in row_text


async def test_export_lists_the_official_days_in_the_form_the_import_reads(uow_factory: UnitOfWorkFactory, tmp_path: Path) -> None:
    from bot.domain import DayOverride, DayOverrideKind
    from bot.services import Services

    async with uow_factory() as uow:
        await uow.day_overrides.put(DayOverride("CN", datetime(2027, 2, 20).date(), DayOverrideKind.WORKING_DAY, "调休", works_as_weekday=4, added_by="Ana"), now_utc=NOW)
        await uow.day_overrides.put(DayOverride("DE", datetime(2027, 3, 24).date(), DayOverrideKind.DAY_OFF, "Trauertag", subdivision="BY"), now_utc=NOW)
        await uow.commit()
    files = await export_schedule(Config(), ManualClock(NOW), uow_factory, tmp_path)
    assert files.official_days == 2
    text = files.official_days_csv.read_bytes().decode("utf-8-sig")
    assert text.splitlines() == [
        "country,date,kind,weekday,name,subdivision,added_by,added_at_utc",
        "CN,2027-02-20,work,Fri,调休,,Ana,2027-03-22T08:00:00Z",
        "DE,2027-03-24,off,,Trauertag,BY,,2027-03-22T08:00:00Z",
    ]
    # Imported again (another installation), the same days come back.
    async with uow_factory() as uow:
        for o in await uow.day_overrides.list():
            await uow.day_overrides.remove(o.country, o.day, o.subdivision)
        await uow.commit()
    services = Services(config=Config(), clock=ManualClock(NOW), uow_factory=uow_factory)
    change = await services.official_days.import_file(files.official_days_csv.read_bytes(), "tandem-official-days.csv", by=None)
    assert [(o.country, o.subdivision, o.day.isoformat(), o.kind.value, o.works_as_weekday, o.name) for o in change.overrides] == [
        ("CN", None, "2027-02-20", "work", 4, "调休"), ("DE", "BY", "2027-03-24", "off", None, "Trauertag"),
    ]
