"""Without a PostgreSQL server the PostgreSQL cases skip, and the run says so last; in CI they fail.

Each check runs pytest itself, on one test module, against a port where nothing listens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pytest_without_postgres(*, require: bool) -> subprocess.CompletedProcess[str]:
    with socket.socket() as probe:  # a port the OS just handed out and nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("TANDEM_REQUIRE_POSTGRES", "CI")}
    env["TANDEM_TEST_POSTGRES_URL"] = f"postgresql+asyncpg://nobody:secret@127.0.0.1:{port}/none"
    if require:
        env["TANDEM_REQUIRE_POSTGRES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/storage/test_migrations.py", "-k", "upgrading_twice",
         "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_a_run_without_postgresql_passes_but_ends_by_saying_how_many_cases_it_skipped_and_why() -> None:
    result = pytest_without_postgres(require=False)
    assert result.returncode == 0, result.stdout[-3000:]
    last = result.stdout.strip().splitlines()[-3:]
    assert "1 PostgreSQL case skipped" in last[0]
    assert "No PostgreSQL server answered at postgresql+asyncpg://nobody:***@127.0.0.1:" in last[1]  # no password shown
    assert "TANDEM_REQUIRE_POSTGRES=1" in last[1]
    assert "1 passed, 1 skipped" in last[2]


def test_with_postgresql_required_the_same_run_fails() -> None:
    result = pytest_without_postgres(require=True)
    assert result.returncode == 1
    assert "PostgreSQL is required (TANDEM_REQUIRE_POSTGRES=1)" in result.stdout
    counts = result.stdout.strip().splitlines()[-1]
    assert "1 passed" in counts and "1 error" in counts and "skipped" not in counts
    assert "PostgreSQL case skipped" not in result.stdout
