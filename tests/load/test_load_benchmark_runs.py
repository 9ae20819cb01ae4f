"""The load benchmark's own code keeps working (``--quick`` on SQLite; the figures come from the benchmark).

Checks the report's structure and what must hold whatever the machine's speed: every action was
answered, every notice queued was delivered (in the outbox and at the Bot API), the flood guard
refused nothing, and SIGTERM stopped the real `tandem run` cleanly with the unsent notices kept.
Not the timings: those are the benchmark's to print.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.load.bench import Settings, run, table


async def test_a_quick_load_run_answers_everything_and_delivers_every_notice(tmp_path: Path) -> None:
    [report] = await run(Settings(databases=("sqlite",), cities=12, helpers=20, think=(0.0, 0.5), sigterm_notices=120), tmp_path, echo=lambda _: None)

    assert (report.actions, report.unanswered) == (12 * 6, 0)
    assert set(report.by_kind) == {"join", "topics", "tap", "hours"}
    assert report.by_kind["tap"].count == 36 and report.tap_callback.count == 36
    assert (report.help.count, report.help_unanswered) == (20, 0)
    assert report.matches > 0
    assert report.drained and report.notices_queued > report.matches
    assert report.notices_sent == report.notices_queued == report.notices_at_api
    assert report.planning_runs and report.coordinator_per_run, "a planning run told the coordinator"
    assert report.coordinator_received == sum(report.coordinator_per_run)
    assert report.flood_refusals == 0
    sigterm = report.sigterm
    assert sigterm is not None
    assert (sigterm.exit_code, sigterm.left_claimed, sigterm.tracebacks) == (0, 0, 0)
    assert 0 < sigterm.queued_at_stop and sigterm.left_pending >= 1
    printed = table([report])
    for target in ("p95 answer to own action", "every notice delivered", "coordinator messages per planning run",
                   "no answer slower than 2 s while planning runs", "SIGTERM of `tandem run`"):
        assert target in printed


async def test_a_quick_load_run_in_webhook_mode_answers_everything(tmp_path: Path) -> None:
    [report] = await run(Settings(databases=("sqlite",), cities=8, helpers=10, think=(0.0, 0.5), sigterm=False, mode="webhook"),
                         tmp_path, echo=lambda _: None)

    assert report.updates.startswith("webhook")
    assert (report.actions, report.unanswered, report.help.count, report.help_unanswered) == (8 * 6, 0, 10, 0)
    assert report.drained and report.notices_sent == report.notices_queued == report.notices_at_api
    assert report.flood_refusals == 0 and report.sigterm is None
