"""My data: what Tandem keeps about the person (as in /mydata), their language, and forgetting them."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from web.security import csrf_protected, form_of
from web.visit import Visit


async def show_me(request: Request) -> Response:
    visit = await Visit.of(request)
    data = await visit.services.people.export(by=visit.by())
    return visit.render("me.html", data=json.dumps(data, ensure_ascii=False, indent=2), done=request.query_params.get("done"))


async def download_my_data(request: Request) -> Response:
    visit = await Visit.of(request)
    data = await visit.services.people.export(by=visit.by())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2).encode(), media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="tandem-my-data.json"'},
    )


@csrf_protected
async def set_language(request: Request) -> Response:
    visit = await Visit.of(request)
    await visit.services.people.set_language(by=visit.by(), language=str((await form_of(request)).get("language", "")))
    return visit.redirect("/me?done=language")


@csrf_protected
async def forget_me(request: Request) -> Response:
    """Delete the person's data (after a ticked confirmation), then end the session."""
    visit = await Visit.of(request)
    if (await form_of(request)).get("confirm") != "yes":
        return visit.redirect("/me?done=unconfirmed")
    await visit.services.people.forget(by=visit.by())
    visit.end_session()
    return visit.render("forgotten.html")
