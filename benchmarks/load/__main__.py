"""``python -m benchmarks.load``: issue 19's load run; see ``benchmarks/load/bench.py`` and benchmarks/README.md."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from benchmarks.load.bench import POSTGRES_ADMIN_URL, THINK, Settings, run, table
from bot.config import TelegramConfig


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling", help="how updates reach the bot (as [telegram] mode)")
    parser.add_argument("--quick", action="store_true", help="20 cities, 60 × /help, 120 notices at SIGTERM (the smoke test's size)")
    parser.add_argument("--cities", type=int, default=None, help="cities, each with one contact acting (default 100)")
    parser.add_argument("--helpers", type=int, default=None, help="people sending /help at once (default 300)")
    parser.add_argument("--think", type=think_range, default=THINK, metavar="A-B",
                        help="seconds a contact pauses before each next action (reading the answer), uniform in A-B; "
                             "default 2-6; 0 acts again the moment the answer arrives")
    parser.add_argument("--concurrent-updates", type=int, default=None, metavar="N",
                        help=f"[telegram] concurrent_updates of the bot under load (default: the config's, {TelegramConfig.concurrent_updates}); 1: one update at a time")
    parser.add_argument("--no-sigterm", action="store_true", help="skip the SIGTERM of a real `tandem run` process")
    parser.add_argument("--postgres", default=os.environ.get("TANDEM_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL),
                        help="admin URL of the PostgreSQL server; a fresh database is made and dropped")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    settings = Settings(
        databases=("sqlite", "postgresql") if arguments.database == "both" else (arguments.database,),
        cities=arguments.cities or (20 if arguments.quick else 100),
        helpers=arguments.helpers or (60 if arguments.quick else 300),
        think=arguments.think,
        sigterm=not arguments.no_sigterm,
        sigterm_notices=120 if arguments.quick else 600,
        postgres_admin=arguments.postgres,
        mode=arguments.mode,
        **({"concurrent_updates": arguments.concurrent_updates} if arguments.concurrent_updates else {}),
    )
    reports = asyncio.run(run(settings))
    print(table(reports))


if __name__ == "__main__":
    main()
