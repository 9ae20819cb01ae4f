"""The board's interest matrix: cities (by group) × topics, the notes, the pairs per topic, the to-dos."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.services.board import TODO_CONTACT, TODO_HOURS, TODO_TOPIC
from web.visit import Visit, msgid

TODO_NAMES = {
    TODO_CONTACT: msgid("no contact"),
    TODO_HOURS: msgid("no hours"),
    TODO_TOPIC: msgid("no topic"),
}


def page_number(request: Request) -> int:
    value = request.query_params.get("page", "")
    return int(value) if value.isdigit() else 1


async def show_matrix(request: Request) -> Response:
    visit = await Visit.of(request)
    only_todos = request.query_params.get("todo") == "1"
    matrix = await visit.services.board.matrix(by=visit.by(), page=page_number(request), only_todos=only_todos)
    return visit.render("board/matrix.html", matrix=matrix, todo_names=TODO_NAMES, pager_base="todo=1&" if only_todos else "")
