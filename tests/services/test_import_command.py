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
