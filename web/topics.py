"""The topics page: the programme's topics, each with a tick and a note, saved in one go."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.security import csrf_protected, form_of
from web.visit import Visit


async def show_topics(request: Request) -> Response:
    visit = await Visit.of(request)
    view = await visit.services.interests.overview(by=visit.by())
    return visit.render("topics.html", view=view, new_matches=int(request.query_params.get("new", "0") or 0))


@csrf_protected
async def save_topics(request: Request) -> Response:
    """Exactly the ticked topics are chosen, each with the note beside it; new partners are counted."""
    visit = await Visit.of(request)
    form = await form_of(request)
    chosen = {int(str(value)) for value in form.getlist("topic") if str(value).isdigit()}
    choices: dict[int, str | None] = {topic_id: str(form.get(f"note-{topic_id}", "")) for topic_id in chosen}
    view = await visit.services.interests.save_choices(by=visit.by(), choices=choices)
    return visit.redirect(f"/topics?saved=1&new={len(view.new_matches)}")
