"""The schedule export behind ``tandem export``: every confirmed session as .ics (PUBLISH) and CSV,
and the official days the coordinators entered as a CSV ``tandem holidays import`` reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.config import Config
from bot.domain import SessionStatus
from bot.export import ExportRow, official_days_csv, schedule_csv, schedule_ics
from bot.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class ExportedFiles:
    ics: Path
    csv: Path
    sessions: int
    official_days_csv: Path
    official_days: int


async def export_rows(uow_factory: UnitOfWorkFactory, language: str = "en") -> list[ExportRow]:
    """All confirmed sessions as plain rows, in ``language`` for topic titles (one query)."""
    async with uow_factory() as uow:
        views = await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])
    return [
        ExportRow(
            uid=v.session.ical_uid,
            sequence=v.session.sequence,
            status=v.session.status,
            start_utc=v.session.start_utc,
            end_utc=v.session.end_utc,
            topic_title=v.topic.title(language),
            city_a_name=v.city_a.name,
            city_a_zone=v.city_a.timezone,
            city_b_name=v.city_b.name,
            city_b_zone=v.city_b.timezone,
            meeting_link=v.session.meeting_link,
        )
        for v in views
    ]


async def export_schedule(config: Config, clock: Clock, uow_factory: UnitOfWorkFactory, out_dir: Path) -> ExportedFiles:
    """Write ``tandem-schedule.ics``, ``tandem-schedule.csv`` and ``tandem-official-days.csv`` into ``out_dir``."""
    language = config.programme.default_language
    rows = await export_rows(uow_factory, language)
    async with uow_factory() as uow:
        overrides = await uow.day_overrides.list()
    out_dir.mkdir(parents=True, exist_ok=True)
    ics_path, csv_path = out_dir / "tandem-schedule.ics", out_dir / "tandem-schedule.csv"
    ics_path.write_bytes(
        schedule_ics(
            rows,
            clock.now(),
            organizer_name=config.programme.organizer_name,
            organizer_email=config.programme.organizer_email,
            language=language,
            zone=config.programme.timezone,
        )
    )
    # utf-8-sig: Excel reads the Chinese city and topic names right only with the BOM.
    csv_path.write_text(schedule_csv(rows), encoding="utf-8-sig", newline="")
    days_path = out_dir / "tandem-official-days.csv"
    days_path.write_text(official_days_csv(overrides), encoding="utf-8-sig", newline="")
    return ExportedFiles(ics_path, csv_path, len(rows), days_path, len(overrides))
