"""``GET /healthz`` for load balancers and monitoring: 200 with JSON while the database answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


async def healthz(request: Request) -> Response:
    health = await request.app.state.services().health.check()
    return JSONResponse(health.as_json(), status_code=200 if health.ok else 503)
