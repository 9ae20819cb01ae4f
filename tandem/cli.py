"""The ``tandem`` command. Expected failures end with one clear line and a non-zero exit code."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from bot.services import Services

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

NO_TOKEN_HELP = (
    "no Telegram bot token: create a bot with @BotFather (https://t.me/BotFather, /newbot) and set "
    "TANDEM_TELEGRAM_TOKEN or [telegram] token in your config; to see Tandem work without a token, "
    "run `tandem demo`"
)


class CliError(Exception):
    """An expected failure; the message is shown as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem arranges bilateral online discussions between cities of a cooperation programme, on Telegram.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the bot (long polling, or a webhook if configured)")
    _config_option(run)

    demo = commands.add_parser(
        "demo", help="play the example programme offline (no token needed): transcripts, sessions and .ics files"
    )
    demo.add_argument("--out", metavar="DIR", type=Path, default=Path("demo-out"), help="output folder, emptied first (default: ./demo-out)")
    demo.add_argument("--scenario", metavar="PATH", type=Path, default=None, help="another scenario file of the same form (default: the embedded Panjin – EU example)")
    demo.add_argument("--serve", action="store_true", help="keep the web app running on 127.0.0.1 after the demo and print a sign-in link for each demo person (Ctrl-C stops it)")
    demo.add_argument("--port", metavar="PORT", type=int, default=None, help="the web app's port on 127.0.0.1 (default: 8080 with --serve, else any free port)")

    plan = commands.add_parser("plan", help="print the planner's solution of a batch instance (JSON, planner-format.md) as JSON")
    plan.add_argument("instance", metavar="INSTANCE.json", help="a schedbench-instance file")

    export = commands.add_parser("export", help="write all confirmed sessions as .ics (METHOD:PUBLISH) and CSV, and the official days entered as CSV")
    _config_option(export)
    export.add_argument("--out", metavar="DIR", type=Path, default=Path("tandem-export"), help="output folder (default: ./tandem-export)")

    import_ = commands.add_parser("import", help="import cities from a CSV file (name,country,timezone,group[,subdivision])")
    _config_option(import_)
    import_.add_argument("csv_file", metavar="CITIES.csv", type=Path, help="UTF-8 CSV with a header row; nothing is imported if any row is bad")

    holidays = commands.add_parser("holidays", help="official days off and working days that take precedence over the holidays package")
    holiday_commands = holidays.add_subparsers(dest="holidays_command", metavar="ACTION", required=True)
    holidays_import = holiday_commands.add_parser(
        "import",
        help="import official days from a CSV file (country,date,kind,weekday,name[,subdivision]) or an iCalendar feed (.ics)",
    )
    _config_option(holidays_import)
    holidays_import.add_argument(
        "days_file", metavar="FILE", type=Path,
        help="UTF-8 CSV with a header row (kind: off or work; weekday: whose hours a working day has, e.g. Mon), "
        "or an iCalendar feed of all-day events (a summary or category with 班/补班/上班/workday marks a working day, "
        "with Monday's hours on a weekend); nothing is imported if any row or event is bad",
    )
    holidays_import.add_argument(
        "--country", metavar="CODE", default=None, help="whose days an iCalendar feed lists: CN, or DE-BY for a subdivision (CSV files name it per row)"
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create the schema or bring it up to date (Alembic migrations)")
    _config_option(upgrade)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        default=None,
        help="TOML configuration file (default: ./tandem.toml if it exists, else built-in defaults "
        "plus TANDEM_* environment variables)",
    )


def _load(path: Path | None) -> Config:
    if path is None and Path("tandem.toml").is_file():
        path = Path("tandem.toml")
    return load_config(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(_load(args.config))
        if args.command == "import":
            return _import_cities(_load(args.config), args.csv_file)
        if args.command == "holidays" and args.holidays_command == "import":
            return _import_official_days(_load(args.config), args.days_file, args.country)
        if args.command == "plan":
            from bot.planner.instance import plan_command

            return plan_command(args.instance, sys.stdout, sys.stderr)
        if args.command == "demo":
            return _demo(args.out, args.scenario, serve=args.serve, port=args.port)
        if args.command == "export":
            return _export(_load(args.config), args.out)
        if args.command == "db" and args.db_command == "upgrade":
            return _db_upgrade(_load(args.config))
    except (ConfigError, CliError) as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    raise AssertionError(f"unhandled command {args}")  # argparse only lets known commands through


def _db_upgrade(config: Config) -> int:
    from storage.db import DatabaseError, first_line, safe_url, upgrade
    from tandem.logging_setup import configure_logging

    configure_logging([config.telegram.token, config.email.password])
    try:
        upgrade(config.database.url)
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - driver errors differ per backend; one line is what helps
        raise CliError(f"cannot upgrade the database at {safe_url(config.database.url)}: {first_line(exc)}") from None
    print(f"database at {safe_url(config.database.url)} is up to date")
    return EXIT_OK


def _demo(out_dir: Path, scenario: Path | None, *, serve: bool = False, port: int | None = None) -> int:
    import logging

    from tandem.demo import run_demo
    from tandem.demo.scenario import EMBEDDED, ScenarioError
    from tandem.server import ListenError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(run_demo(out_dir, scenario or EMBEDDED, serve=serve, port=port if port is not None else (8080 if serve else 0)))
    except ScenarioError as exc:
        raise CliError(str(exc)) from None
    except ListenError as exc:
        raise CliError(f"{exc} (choose another with --port)") from None
    return EXIT_OK


@asynccontextmanager
async def _offline_services(config: Config) -> AsyncIterator[Services]:
    """The services on the configured database, without Telegram (for one CLI command)."""
    from bot.clock import SystemClock
    from bot.services import Services
    from storage.db import create_engine, create_session_factory
    from storage.uow import UnitOfWorkFactory

    await _preflight_database(config)
    engine = create_engine(config.database.url)
    try:
        yield Services(config=config, clock=SystemClock(), uow_factory=UnitOfWorkFactory(create_session_factory(engine)))
    finally:
        await engine.dispose()


def _export(config: Config, out_dir: Path) -> int:
    from bot.services.schedule_export import export_schedule
    from storage.db import DatabaseError

    async def export() -> int:
        async with _offline_services(config) as services:
            files = await export_schedule(config, services.clock, services.uow_factory, out_dir)
        print(f"{files.sessions} confirmed sessions written to {files.ics} and {files.csv}")
        print(f"{files.official_days} official days entered by the coordinators written to {files.official_days_csv}")
        return EXIT_OK

    try:
        return asyncio.run(export())
    except DatabaseError as exc:
        raise CliError(str(exc)) from None


def _import_cities(config: Config, path: Path) -> int:
    """Add the cities of a CSV file; every bad row is one line with its line number, and then none is added."""
    from bot.domain import TandemError
    from storage.db import DatabaseError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None

    async def import_cities() -> int:
        async with _offline_services(config) as services:
            cities = await services.cities.import_csv(text, by=None)
        print(f"{len(cities)} cities imported from {path}: {', '.join(c.name for c in cities)}")
        return EXIT_OK

    try:
        return asyncio.run(import_cities())
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    except TandemError as exc:
        raise CliError(f"{path}: {exc}") from None


def _import_official_days(config: Config, path: Path, country: str | None) -> int:
    """Add the official days of a CSV or iCalendar file; every bad row is one line, and then none is added."""
    from bot.domain import TandemError
    from storage.db import DatabaseError

    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}") from None

    async def import_days() -> int:
        async with _offline_services(config) as services:
            change = await services.official_days.import_file(content, path.name, by=None, country=country)
        print(f"{len(change.overrides)} official days imported from {path} ({len(change.replaced)} replaced what was entered before)")
        if change.sessions_reported:
            print(f"{change.sessions_reported} confirmed sessions now fall on a day off; the coordinators are told, each with a one-tap move")
        return EXIT_OK

    try:
        return asyncio.run(import_days())
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    except TandemError as exc:
        raise CliError(f"{path}: {exc}") from None


def _run(config: Config) -> int:
    from telegram.error import InvalidToken, NetworkError

    from storage.db import DatabaseError
    from tandem.app import build_application
    from tandem.logging_setup import configure_logging
    from tandem.server import ListenError, serve

    if not config.telegram.token:
        raise CliError(NO_TOKEN_HELP)
    configure_logging([config.telegram.token, config.telegram.webhook_secret, config.email.password, config.web.secret])
    try:
        asyncio.run(_preflight_database(config))
        asyncio.run(_preflight_token(config))
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    except InvalidToken:
        raise CliError("Telegram rejected the bot token (mistyped or revoked): copy the current one from @BotFather") from None
    except NetworkError as exc:
        raise CliError(f"cannot reach the Telegram Bot API at {config.telegram.api_base_url}: {exc.message}") from None
    application = build_application(config)
    try:
        asyncio.run(serve(application, config))
    except ListenError as exc:
        raise CliError(str(exc)) from None
    except InvalidToken:
        raise CliError("Telegram rejected the bot token (mistyped or revoked): copy the current one from @BotFather") from None
    except NetworkError as exc:
        raise CliError(f"cannot reach the Telegram Bot API at {config.telegram.api_base_url}: {exc.message}") from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


async def _preflight_token(config: Config) -> None:
    """Ask Telegram who we are before starting, so a bad token is one line, not a retry loop's traceback."""
    from telegram import Bot

    async with Bot(config.telegram.token, base_url=config.telegram.api_base_url, base_file_url=config.telegram.file_base_url):
        pass  # initialising calls getMe


async def _preflight_database(config: Config) -> None:
    """Check the database before talking to Telegram, and without creating anything."""
    from sqlalchemy.engine import make_url

    from storage.db import DatabaseError, check_schema, create_engine

    url = make_url(config.database.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            raise DatabaseError(f"no database file at {url.database}: run `tandem db upgrade` to create it")
    engine = create_engine(config.database.url)
    try:
        await check_schema(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
