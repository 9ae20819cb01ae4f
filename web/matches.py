"""Partners: the cities that share a topic with this one; meet them or decline (with a second step)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.security import csrf_protected
from web.visit import Visit, msgid

STATUS_TEXTS = {
    "open": msgid("Mutual interest: a coordinator will propose times that suit both cities."),
    "planned": msgid("Times are proposed; a coordinator is confirming one."),
    "unschedulable": msgid("No common time yet: a coordinator is looking into it."),
    "confirmed": msgid("A session is set: see Sessions."),
    "declined": msgid("Declined: this meeting will not take place."),
    "cancelled": msgid("Ended: this meeting will not take place."),
}


def _match_id(request: Request) -> int:
    return int(request.path_params["match_id"])


async def show_matches(request: Request) -> Response:
    visit = await Visit.of(request)
    views = await visit.services.matching.of_my_city(by=visit.by())
    return visit.render("matches.html", views=views, done=request.query_params.get("done"), status_texts=STATUS_TEXTS)


@csrf_protected
async def accept_match(request: Request) -> Response:
    visit = await Visit.of(request)
    await visit.services.matching.accept(by=visit.by(), match_id=_match_id(request))
    return visit.redirect("/matches?done=accepted")


async def confirm_decline(request: Request) -> Response:
    """Declining ends the match for both cities, so the page asks once more."""
    visit = await Visit.of(request)
    views = await visit.services.matching.of_my_city(by=visit.by())
    view = next((v for v in views if v.match.id == _match_id(request)), None)
    if view is None:  # not a match of this person's city: the service says why when they post
        return visit.redirect("/matches")
    return visit.render("decline.html", view=view)


@csrf_protected
async def decline_match(request: Request) -> Response:
    visit = await Visit.of(request)
    await visit.services.matching.decline(by=visit.by(), match_id=_match_id(request))
    return visit.redirect("/matches?done=declined")
