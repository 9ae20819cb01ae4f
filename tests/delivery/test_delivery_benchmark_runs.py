"""The delivery benchmark's own code keeps working (a small run; the figures come from the benchmark)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.delivery.bench_delivery import run


async def test_a_small_benchmark_run_delivers_every_message_once_with_and_without_faults(tmp_path: Path) -> None:
    for kind, faults in (("reminder", 0.0), ("invite", 0.2)):
        result = await run(f"{kind}s smoke", kind, 12, faults, 0.2, None, tmp_path)
        assert (result.lost, result.twice) == (0, 0), result
        assert result.calls >= 12
