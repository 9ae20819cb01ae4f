"""Which meeting link a session gets: pure, plain parameters in, one URL out.

Precedence, most specific first: a link fixed for the session, a link fixed for one of its
cities (in the order the caller gives, e.g. the city whose provider works on both sides first),
a link fixed for the programme (a Tencent Meeting / VooV, Zoom or Teams room), else the
programme's template with a fresh unguessable room name (default: a Jitsi room).

A room name carries 128 random bits (26 base32 characters, lower case because Jitsi lowercases
room names): nobody can guess a session's room from another one's.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from bot.domain import InvalidInputError

DEFAULT_TEMPLATE = "https://meet.jit.si/{room}"
ROOM_PREFIX = "tandem-"
ROOM_TOKEN_BYTES = 16

# Hosts of the providers the issue names, so texts can say "Join with Zoom" and tests can tell.
PROVIDERS: dict[str, tuple[str, ...]] = {
    "jitsi": ("meet.jit.si", "8x8.vc"),
    "tencent-meeting": ("meeting.tencent.com",),
    "voov": ("voovmeeting.com",),
    "zoom": ("zoom.us", "zoom.com", "zoom.com.cn"),
    "teams": ("teams.microsoft.com", "teams.live.com"),
}


def new_room_token() -> str:
    """128 random bits as 26 lower-case base32 characters (secrets, not random)."""
    return room_token_from_bytes(secrets.token_bytes(ROOM_TOKEN_BYTES))


def room_token_from_bytes(raw: bytes) -> str:
    """The token for ``raw`` random bytes; tests pass fixed bytes."""
    if len(raw) < ROOM_TOKEN_BYTES:
        raise InvalidInputError(f"a room name needs at least {ROOM_TOKEN_BYTES} random bytes, got {len(raw)}")
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def room_link(template: str, token: str) -> str:
    """``template`` with ``{room}`` replaced by a room name made from ``token``."""
    check_template(template)
    return template.replace("{room}", ROOM_PREFIX + token)


def choose_meeting_link(
    *,
    session_link: str | None = None,
    city_links: Sequence[str | None] = (),
    programme_link: str | None = None,
    template: str = DEFAULT_TEMPLATE,
    make_token: Callable[[], str] = new_room_token,
) -> str:
    """The link of a session: fixed per session, else per city, else per programme, else a new room."""
    for fixed in (session_link, *city_links, programme_link):
        if fixed is not None and fixed.strip():
            return check_link(fixed.strip())
    return room_link(template, make_token())


def check_link(link: str) -> str:
    """``link`` if it is an http(s) address; a clear error naming it otherwise."""
    parts = urlsplit(link)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInputError(f"the meeting link {link!r} is not an http(s) address such as https://meet.jit.si/room")
    return link


def check_template(template: str) -> str:
    """``template`` if it is an http(s) address with exactly one ``{room}``."""
    if template.count("{room}") != 1:
        raise InvalidInputError(f"the meeting link template {template!r} must contain {{room}} exactly once")
    check_link(template.replace("{room}", "room"))
    return template


def meeting_provider(link: str) -> str | None:
    """The provider of ``link`` (``zoom``, ``teams``, ``tencent-meeting``, ``voov``, ``jitsi``), if known."""
    host = (urlsplit(link).hostname or "").lower()
    for provider, domains in PROVIDERS.items():
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            return provider
    return None
