"""The board's cities: add and edit cities, upload cities.csv, invite links, e-mail contacts, who is unreachable.

The upload is ``tandem import``'s: the same service call (``cities.import_csv``), all or nothing,
one line per bad row; the page shows those lines and keeps nothing of the file.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import InvalidInputError
from bot.services.errors import user_error
from web.board_matrix import page_number
from web.security import csrf_protected, form_of
from web.visit import Visit, msgid

MAX_CSV_BYTES = 1_000_000  # far more than 1,000 cities take
DONE = {
    "added": msgid("The city is added. Create an invite link for its contact below."),
    "saved": msgid("Saved."),
    "contact": msgid("The e-mail contact is added; Tandem writes to this address from now on."),
}
FIELDS = ("name", "country", "timezone", "group", "subdivision")


def _city_id(request: Request) -> int:
    return int(request.path_params["city_id"])


async def show_cities(request: Request, *, problems: list[str] | None = None, status_code: int = 200) -> Response:
    visit = await Visit.of(request)
    only_unreachable = request.query_params.get("unreachable") == "1"
    page = await visit.services.board.cities(by=visit.by(), page=page_number(request), only_unreachable=only_unreachable)
    return visit.render(
        "board/cities.html", status_code=status_code, page=page, problems=problems, groups=visit.config.programme.groups,
        imported=request.query_params.get("imported"), pager_base="unreachable=1&" if only_unreachable else "",
    )


async def show_cities_page(request: Request) -> Response:
    return await show_cities(request)


@csrf_protected
async def add_city(request: Request) -> Response:
    visit = await Visit.of(request)
    form = await form_of(request)
    city = await visit.services.cities.add(by=visit.by(), **{f: str(form.get(f, "")) for f in FIELDS})
    return visit.redirect(f"/board/cities/{city.id}?done=added")


@csrf_protected
async def import_cities(request: Request) -> Response:
    """Upload cities.csv: every city of the file, or none and one line per bad row."""
    visit = await Visit.of(request)
    by = visit.by()  # signed out: to the sign-in page before the file is looked at
    upload = (await form_of(request)).get("file")
    if not isinstance(upload, UploadFile):
        raise user_error(InvalidInputError, msgid("Choose a CSV file to upload."))
    content = await upload.read(MAX_CSV_BYTES + 1)
    if len(content) > MAX_CSV_BYTES:
        raise user_error(InvalidInputError, msgid("The file is larger than 1 MB; split it into smaller files."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise user_error(InvalidInputError, msgid("The file is not UTF-8 text; save it as CSV UTF-8 and upload it again.")) from None
    try:
        cities = await visit.services.cities.import_csv(text, by=by)
    except InvalidInputError as error:
        if getattr(error, "msgid", None):  # one message for the whole file (empty, no header, …)
            raise
        return await show_cities(request, problems=str(error).splitlines()[1:], status_code=400)
    return visit.redirect(f"/board/cities?imported={len(cities)}")


async def show_city(request: Request) -> Response:
    visit = await Visit.of(request)
    city = await visit.services.board.city(by=visit.by(), city_id=_city_id(request))
    return visit.render("board/city.html", view=city, groups=visit.config.programme.groups,
                        done=DONE.get(request.query_params.get("done", "")), invite=None)


@csrf_protected
async def save_city(request: Request) -> Response:
    visit = await Visit.of(request)
    form = await form_of(request)
    await visit.services.cities.update(
        by=visit.by(), city_id=_city_id(request), link=str(form.get("link", "")), **{f: str(form.get(f, "")) for f in FIELDS}
    )
    return visit.redirect(f"/board/cities/{_city_id(request)}?done=saved")


@csrf_protected
async def create_invite(request: Request) -> Response:
    """A one-time link that makes its opener the city's contact; shown once, never stored."""
    visit = await Visit.of(request)
    city = await visit.services.board.city(by=visit.by(), city_id=_city_id(request))
    link = await visit.services.onboarding.contact_link(by=visit.by(), city_name=city.city.name)
    username = request.app.state.bot_username()
    url = f"https://t.me/{username}?start={link.code}" if username else None
    return visit.render("board/city.html", view=city, groups=visit.config.programme.groups, done=None,
                        invite={"url": url, "code": link.code, "expires": link.expires_utc})


@csrf_protected
async def add_email_contact(request: Request) -> Response:
    visit = await Visit.of(request)
    form = await form_of(request)
    city = await visit.services.board.city(by=visit.by(), city_id=_city_id(request))
    await visit.services.cities.add_email_contact(by=visit.by(), city_name=city.city.name, name=str(form.get("name", "")), email=str(form.get("email", "")))
    return visit.redirect(f"/board/cities/{_city_id(request)}?done=contact")
