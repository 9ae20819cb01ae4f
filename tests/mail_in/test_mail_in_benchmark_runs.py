"""The replies benchmark's own code keeps working (a small run; the figures come from the benchmark)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.mail_in.__main__ import run
from tests.mail_in.dovecot import Dovecot


async def test_a_small_benchmark_run_records_and_moves_every_reply_once(dovecot: Dovecot, tmp_path: Path) -> None:
    result = await run(45, None, tmp_path, dovecot)
    assert (result.processed, result.unmatched, result.moved) == (45, 0, 45)
    assert 0 < result.acting_seconds < result.wall_seconds
