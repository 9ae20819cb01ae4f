"""The delivery benchmark's own code keeps working (a small run; the figures come from the benchmark)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.delivery.bench_delivery import run


async def test_a_small_benchmark_run_delivers_every_message_once_within_the_flood_limits(tmp_path: Path) -> None:
    for kind, faults in (("reminder", 0.0), ("invite", 0.2)):
        # A generous read timeout: only the injected timeouts (held past it) time out, never a
        # normal call on a slow machine (which would be sent again and count twice).
        result = await run(f"{kind}s smoke", kind, 12, faults, 0.2, None, tmp_path, read_timeout=10.0)
        assert (result.lost, result.twice) == (0, 0), result
        assert result.calls >= 12
        assert result.flood_refusals == 0, result  # the pacing kept Telegram's limits: no 429 of the flood guard
