"""The schedule export behind ``tandem export``: every confirmed session as .ics (PUBLISH) and CSV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.config import Config
from bot.export import ExportRow, schedule_csv, schedule_ics
from bot.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class ExportedFiles:
    ics: Path
    csv: Path
    sessions: int


async def export_rows(uow_factory: UnitOfWorkFactory, language: str = "en") -> list[ExportRow]:
    """All confirmed sessions as plain rows, in ``language`` for topic titles."""
    async with uow_factory() as uow:
        cities = {c.id: c for c in await uow.cities.list()}
        topics = {t.id: t for t in await uow.topics.list()}
        rows = []
        for session in await uow.sessions.list_confirmed():
            match = await uow.matches.get(session.match_id)
            a, b = cities[match.city_a_id], cities[match.city_b_id]
            rows.append(
                ExportRow(
                    uid=session.ical_uid,
                    sequence=session.sequence,
                    status=session.status,
                    start_utc=session.start_utc,
                    end_utc=session.end_utc,
                    topic_title=topics[match.topic_id].title(language),
                    city_a_name=a.name,
                    city_a_zone=a.timezone,
                    city_b_name=b.name,
                    city_b_zone=b.timezone,
                    meeting_link=session.meeting_link,
                )
            )
        return rows


async def export_schedule(config: Config, clock: Clock, uow_factory: UnitOfWorkFactory, out_dir: Path) -> ExportedFiles:
    """Write ``tandem-schedule.ics`` and ``tandem-schedule.csv`` into ``out_dir``."""
    language = config.programme.default_language
    rows = await export_rows(uow_factory, language)
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
    return ExportedFiles(ics_path, csv_path, len(rows))
