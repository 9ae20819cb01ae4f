"""The board's official days: days off and working days the coordinators enter over the ``holidays`` package.

One way to do each thing: the form becomes the chat's ``DayEntry`` and goes to the service the
chat's ``/holiday`` calls (``official_days.add`` / ``remove``), the upload to the one behind
``tandem holidays import`` (``official_days.import_file``, all or nothing). So the same checks
apply, confirmed sessions on a new day off are reported to the coordinators with a one-tap move,
and planning runs again, exactly as after the chat's command.

A mistake (a date that does not exist, a country the holiday calendar does not know, a working day
without the weekday whose hours apply) re-shows the page with the reason and what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby

from babel import Locale
from babel.dates import get_day_names
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import DayOverride, InvalidInputError
from bot.services.errors import user_error
from bot.services.official_days import DayEntry
from web.security import csrf_protected, form_of
from web.visit import Visit, msgid

PATH = "/board/official-days"
MAX_FILE_BYTES = 1_000_000  # a country's days for decades fit in far less
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the form's values; the service reads them
FORM_FIELDS = ("country", "subdivision", "first", "last", "kind", "weekday", "name")
DONE = {
    "added": msgid("Saved: {count} day(s). Planning takes them into account from now on."),
    "removed": msgid("Removed: {count} day(s). The holiday calendar's own word counts again for them."),
    "imported": msgid("{count} official day(s) imported from the file. Planning takes them into account from now on."),
}


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _place(country: str, subdivision: str) -> str:
    country, subdivision = country.strip(), subdivision.strip()
    return f"{country}-{subdivision}" if subdivision else country


def entry_of(form: Mapping[str, str]) -> DayEntry:
    """The form as the chat's entry: ``CN`` + ``BY`` → ``CN-BY``, a first and last date → a range."""
    first, last = form["first"].strip(), form["last"].strip()
    kind = form["kind"].strip()
    return DayEntry(
        place=_place(form["country"], form["subdivision"]),
        days=f"{first}..{last}" if last and last != first else first,
        kind=kind,
        weekday=form["weekday"] if kind == "work" else "",  # a weekday left chosen on a day off is not a mistake here
        name=form["name"],
    )


def _grouped(overrides: list[DayOverride], language: str) -> list[tuple[str, str, list[DayOverride]]]:
    """(country code, country name, its days) in the order the service lists them (country, date)."""
    names = Locale.parse(language).territories
    return [(code, names.get(code, code), list(days)) for code, days in groupby(overrides, key=lambda o: o.country)]


async def _page(request: Request, visit: Visit, *, status_code: int = 200, error: Exception | None = None,
                typed: Mapping[str, str] | None = None, upload_country: str = "", problems: list[str] | None = None) -> Response:
    overrides = await visit.services.official_days.list(by=visit.by())
    params = request.query_params
    done = DONE.get(params.get("done", ""))
    wide, short = get_day_names("wide", locale=visit.language), get_day_names("abbreviated", locale=visit.language)
    return visit.render(
        "board/official_days.html", status_code=status_code, countries=_grouped(overrides, visit.language),
        weekdays=[(WEEKDAYS[n], wide[n]) for n in range(7)], short_days=[short[n] for n in range(7)],  # 0 = Monday
        done=done, done_count=_count(params.get("count")), reported=_count(params.get("reported")),
        error=error, typed=typed or {f: "" for f in FORM_FIELDS}, upload_country=upload_country, problems=problems,
    )


def _done(visit: Visit, done: str, count: int, reported: int, anchor: str = "") -> Response:
    return visit.redirect(f"{PATH}?done={done}&count={count}&reported={reported}{anchor}")


async def show_official_days(request: Request) -> Response:
    visit = await Visit.of(request)
    return await _page(request, visit)


@csrf_protected
async def add_official_days(request: Request) -> Response:
    """A day off, or a working day with the weekday whose hours apply, for one date or a range."""
    visit = await Visit.of(request)
    by = visit.by()  # signed out: to the sign-in page before the form is looked at
    form = await form_of(request)
    typed = {f: str(form.get(f, ""))[:300] for f in FORM_FIELDS}
    try:
        change = await visit.services.official_days.add(entry_of(typed), by=by)
    except InvalidInputError as error:
        return await _page(request, visit, status_code=400, error=error, typed=typed)
    country = change.overrides[0].country if change.overrides else ""
    return _done(visit, "added", len(change.overrides), change.sessions_reported, f"#country-{country}")


@csrf_protected
async def remove_official_day(request: Request) -> Response:
    """The remove button of one listed day: the package's word counts again for it."""
    visit = await Visit.of(request)
    by = visit.by()
    form = await form_of(request)
    entry = DayEntry(place=_place(str(form.get("country", "")), str(form.get("subdivision", ""))), days=str(form.get("day", ""))[:30], kind="remove")
    change = await visit.services.official_days.remove(entry, by=by)
    return _done(visit, "removed", len(change.overrides), change.sessions_reported)


@csrf_protected
async def import_official_days(request: Request) -> Response:
    """A CSV file or an iCalendar feed, as ``tandem holidays import`` reads it: all or nothing."""
    visit = await Visit.of(request)
    by = visit.by()
    form = await form_of(request)
    country = str(form.get("country", "")).strip()[:20]
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _page(request, visit, status_code=400, upload_country=country,
                           error=user_error(InvalidInputError, msgid("Choose a CSV or iCalendar file to upload.")))
    content = await upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        return await _page(request, visit, status_code=400, upload_country=country,
                           error=user_error(InvalidInputError, msgid("The file is larger than 1 MB; split it into smaller files.")))
    try:
        change = await visit.services.official_days.import_file(content, upload.filename, by=by, country=country or None)
    except InvalidInputError as error:
        if getattr(error, "msgid", None):  # one message for the whole file (empty, no country for a feed, …)
            return await _page(request, visit, status_code=400, error=error, upload_country=country)
        lines = str(error).splitlines()  # "nothing imported:" and one line per bad row or event
        return await _page(request, visit, status_code=400, upload_country=country, problems=lines[1:] or lines)
    return _done(visit, "imported", len(change.overrides), change.sessions_reported)
