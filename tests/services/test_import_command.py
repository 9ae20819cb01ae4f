"""`tandem import cities.csv`: one line per bad row with its line number; all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import upgrade_async
from tandem.cli import main


@pytest.fixture
async def config_file(tmp_path: Path) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path}/tandem.sqlite3"
    await upgrade_async(url)
    path = tmp_path / "tandem.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[programme]\ngroups = ["China", "EU"]\n', encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_a_good_file_is_imported_and_a_bad_one_names_its_lines(tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "cities.csv"
    good.write_text("name,country,timezone,group\nPanjin,CN,Asia/Shanghai,China\nLisbon,PT,Europe/Lisbon,EU\n", encoding="utf-8")
    bad = tmp_path / "more.csv"
    bad.write_text("name,country,timezone,group\nHamburg,DE,Europe/Berlin,EU\nCork,IE,Europe/Cork,EU\nLisbon,PT,Europe/Lisbon,EU\n", encoding="utf-8")

    # main() calls asyncio.run, which needs a thread without a running event loop.
    code, out, err = await asyncio.to_thread(run, capsys, "import", str(good), "--config", str(config_file))
    assert (code, err) == (0, "")
    assert out.strip() == f"2 cities imported from {good}: Panjin, Lisbon"

    code, out, err = await asyncio.to_thread(run, capsys, "import", str(bad), "--config", str(config_file))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == f"tandem: {bad}: nothing imported:"
    assert lines[1].startswith('line 3: "Europe/Cork" is not a time zone')
    assert lines[2] == "line 4: there is already a city called Lisbon"
    assert len(lines) == 3  # Hamburg (line 2) was fine, and was not imported either

    code, out, err = await asyncio.to_thread(run, capsys, "import", str(tmp_path / "missing.csv"), "--config", str(config_file))
    assert code == 1 and err.startswith("tandem: cannot read")


async def test_official_days_import_from_csv_and_icalendar_all_or_nothing(tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "cn-2027.csv"
    good.write_text("country,date,kind,weekday,name\nCN,2027-02-10,off,,Spring Festival\nCN,2027-02-07,work,Mon,调休\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("country,date,kind,weekday,name\nCN,2027-02-11,off,,Fine\nCN,2027-13-01,off,,Bad date\n", encoding="utf-8")
    feed = tmp_path / "de-by.ics"
    feed.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261201T000000Z\r\n"
        b"DTSTART;VALUE=DATE:20270324\r\nSUMMARY:Landestrauertag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    code, out, err = await asyncio.to_thread(run, capsys, "holidays", "import", str(good), "--config", str(config_file))
    assert (code, err) == (0, "")
    assert out.strip() == f"2 official days imported from {good} (0 replaced what was entered before)"

    code, out, err = await asyncio.to_thread(run, capsys, "holidays", "import", str(bad), "--config", str(config_file))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"tandem: {bad}: nothing imported:", 'line 3: "2027-13-01" is not a date; write it as 2027-02-10, or 2027-02-10..2027-02-17 for several days.']

    code, out, err = await asyncio.to_thread(run, capsys, "holidays", "import", str(feed), "--config", str(config_file))
    assert code == 1 and "give the country" in err
    code, out, err = await asyncio.to_thread(run, capsys, "holidays", "import", str(feed), "--country", "DE-BY", "--config", str(config_file))
    assert (code, err) == (0, "") and out.startswith("1 official days imported")

    from storage.db import create_engine, create_session_factory
    from storage.uow import UnitOfWorkFactory

    url = config_file.read_text(encoding="utf-8").split('"')[1]
    engine = create_engine(url)
    try:
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            stored = await uow.day_overrides.list()
    finally:
        await engine.dispose()
    assert [(o.country, o.subdivision, o.day.isoformat(), o.added_by) for o in stored] == [
        ("CN", None, "2027-02-07", "file cn-2027.csv"), ("CN", None, "2027-02-10", "file cn-2027.csv"), ("DE", "BY", "2027-03-24", "file de-by.ics"),
    ]
