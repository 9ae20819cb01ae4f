"""The board benchmark runs (a small size), so the documented command keeps working."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_board_benchmark_serves_every_page_and_prints_its_times() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.board", "--cities", "60", "--matches", "300", "--requests", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "60 cities and 300 matches written" in result.stdout
    rows = re.findall(r"^(/\S*)\s+(\d+\.\d)\s+(\d+\.\d) ms", result.stdout, re.M)
    assert len(rows) == 19 and {path.split("?")[0] for path, _, _ in rows} >= {"/board", "/board/matrix", "/board/cities", "/board/calendar", "/board/roadmap", "/board/exports"}
    assert all(float(kb) > 1 for _, kb, _ in rows)
