"""What keeps the web app safe, in one place: the session cookie, CSRF tokens, headers, rate limits.

* **Session**: one cookie, ``tandem_session``, signed with ``[web] secret`` (itsdangerous; a changed
  byte or an expired timestamp reads as "signed out"). It holds who is signed in (``actor``, e.g.
  ``"contact:12"`` or ``"telegram:1001"``), the CSRF token, and how the person signed in. HttpOnly,
  Secure when ``base_url`` is https, SameSite=Lax -- except after a Mini App sign-in over https,
  where it is SameSite=None and Partitioned: Telegram's web clients show a Mini App in a frame of
  web.telegram.org, where a Lax cookie would never be sent back.
* **CSRF**: every form carries the session's token (``csrf_field()`` in templates); every POST
  handler is wrapped in :func:`csrf_protected`, which refuses a missing or wrong token with 403
  before the handler runs. A test walks every POST route of the app and checks it.
* **Headers** (:class:`SecurityHeaders`): a strict Content-Security-Policy (scripts, styles and
  images from this server only, no inline code; frames only by Telegram's web clients), no
  Referer (a sign-in link's token is in its path), no MIME sniffing, no caching of pages.
* **Rate limits** (:class:`RateLimiter`): sign-in requests per client address per minute, in this
  process; the per-address limit on e-mailed links lives in the database (``SignInService``).
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import WebConfig
from bot.domain import storable

SESSION_COOKIE = "tandem_session"
CSRF_FIELD = "csrf"
# Telegram's web clients frame Mini Apps; nobody else may frame these pages (clickjacking).
TELEGRAM_FRAME_ANCESTORS = "https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        f"frame-ancestors 'self' {TELEGRAM_FRAME_ANCESTORS}",
    ]
)


@dataclass(frozen=True)
class SessionData:
    """What the session cookie holds."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    actor: str | None = None  # "contact:<id>" or "telegram:<user id>"; None: signed out
    via: str | None = None  # "link" or "mini_app": how the person signed in
    language: str | None = None  # chosen on a page before signing in


class SessionCodec:
    """Signs and reads the session cookie; a bad or old cookie reads as a fresh, signed-out session."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._serializer = URLSafeTimedSerializer(str(config.secret), salt="tandem-session")

    def load(self, request: Request) -> tuple[SessionData, bool]:
        """The session, and whether it is new (and so must be set on the response)."""
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=int(self.config.session_ttl.total_seconds()))
                return SessionData(csrf=str(data["c"]), actor=data.get("a"), via=data.get("v"), language=data.get("l")), False
            except (BadSignature, KeyError, TypeError):
                pass
        return SessionData(), True

    def store(self, response: Response, session: SessionData) -> None:
        value = self._serializer.dumps({"c": session.csrf, "a": session.actor, "v": session.via, "l": session.language})
        framed = session.via == "mini_app" and self.config.https
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=int(self.config.session_ttl.total_seconds()),
            path="/",
            httponly=True,
            secure=self.config.https,
            samesite="none" if framed else "lax",
        )
        if framed:  # Python < 3.14 cannot write the Partitioned attribute (CHIPS); add it to the header
            name, header = response.raw_headers[-1]
            assert name == b"set-cookie" and header.startswith(SESSION_COOKIE.encode())
            response.raw_headers[-1] = (name, header + b"; Partitioned")

    @staticmethod
    def signed_in(session: SessionData, actor: str, via: str) -> SessionData:
        """A new session for a sign-in: a new CSRF token too, so one seen before signing in is useless."""
        return replace(SessionData(), actor=actor, via=via, language=session.language)


def same_token(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


class CsrfError(Exception):
    """A POST without the session's CSRF token: refused with 403 before anything happens."""


class UnstorableFormError(Exception):
    """A form with text no database can keep (``bot.domain.storable``): refused with 400 before anything happens."""


Handler = Callable[[Request], Awaitable[Response]]


def csrf_protected(handler: Handler) -> Handler:
    """Check the form's CSRF token against the session before ``handler`` runs (POST only)."""

    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        if request.method == "POST":
            form = await request.form()
            session, _ = request.app.state.sessions.load(request)
            if not same_token(session.csrf, form.get(CSRF_FIELD)):
                raise CsrfError()
            # The web's one guard for text no database can keep: every form comes through here.
            if not all(storable(value) for _, value in form.multi_items() if isinstance(value, str)):
                raise UnstorableFormError()
        return await handler(request)

    checked.csrf_protected = True  # type: ignore[attr-defined]
    return checked


async def form_of(request: Request) -> FormData:
    """The posted form (Starlette caches it, so reading it after the CSRF check costs nothing)."""
    return await request.form()


class SecurityHeaders:
    """Pure ASGI middleware: the same strict headers on every response."""

    HEADERS = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in self.HEADERS if h[0] not in present]
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))  # pages hold personal data
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class RateLimiter:
    """At most ``limit`` events per ``period`` seconds per key (a sliding window, in memory)."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.period:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle clients so memory stays bounded
            for key_ in [k for k, v in self._events.items() if not v or v[-1] <= now - self.period]:
                del self._events[key_]
        return True


def client_address(request: Request) -> str:
    """The client's address (uvicorn takes it from X-Forwarded-For when the proxy is trusted)."""
    return request.client.host if request.client else "unknown"


def csrf_routes(app: Any) -> list[str]:
    """The paths of every POST route, for the test that checks each refuses a missing token."""
    return [route.path for route in app.routes if "POST" in (getattr(route, "methods", None) or ())]
