"""The web benchmark runs (a small size), so the documented command keeps working."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_benchmark_prints_page_sizes_and_serve_times() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.web", "--partners", "5", "--requests", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sizes = dict(re.findall(r"^(/\S*)\s+(\d+\.\d)\s", result.stdout, re.M))
    assert set(sizes) == {"/", "/hours", "/topics", "/away", "/matches", "/sessions", "/me", "/sign-in"}
    assert all(0.5 < float(kb) < 100 for kb in sizes.values()), sizes
    assert re.search(r"round trip \(client\)\s+median\s+\d+\.\d ms", result.stdout)
