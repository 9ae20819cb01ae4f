"""One request to the web app: who is asking, in which language, and how a page is rendered.

A handler reads like a chat handler: read the request, call one service, render::

    async def show_hours(request: Request) -> Response:
        visit = await Visit.of(request)
        view = await visit.services.availability.week_grid(by=visit.by())
        return visit.render("hours.html", view=view)

``Visit.of`` loads the session cookie, resolves the signed-in person through the sign-in service
(a forgotten person reads as signed out), and picks the language: the person's own, else one
chosen on the page (``?lang=zh``), else the browser's (``Accept-Language``), else English.
``render`` gives every template ``t`` (the shared gettext catalogs), ``csrf_field()``,
``visitor``, the date formatters, and sets the cookie when the session is new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from babel.dates import format_date
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.config import Config
from bot.domain import Actor, City
from bot.i18n import SUPPORTED_LANGUAGES, Place, format_instant, gettext, normalize_language
from bot.services import Services
from bot.services.people_model import Person
from bot.services.sign_in import actor_from_key, actor_key
from web.security import CSRF_FIELD, SessionCodec, SessionData

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
STATIC = HERE / "static"
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "de": "Deutsch"}
_DAY_PATTERNS = {"en": "EEE d MMM y", "de": "EEE, d. MMMM y", "zh": "y年M月d日 EEEE"}  # as bot.i18n writes dates


def msgid(text: str) -> str:
    """Marks a text that a template translates later (``t(message)``), so the catalog test finds it."""
    return text


class SignInRequired(Exception):
    """A page for signed-in people was asked for without a session: go to the sign-in page."""


@cache
def static_version(name: str) -> str:
    """A short hash of a static file, so a changed file is fetched anew (``?v=``)."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def browser_language(header: str | None) -> str | None:
    """The first supported language of an ``Accept-Language`` header (``zh-CN,zh;q=0.9`` → zh)."""
    for part in (header or "").split(","):
        base = part.split(";")[0].strip().split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return None


@dataclass
class Visit:
    request: Request
    services: Services
    config: Config
    session: SessionData
    session_changed: bool
    visitor: Person | None  # who is signed in; None: nobody (or someone forgotten meanwhile)
    language: str

    @classmethod
    async def of(cls, request: Request) -> Visit:
        state = request.app.state
        codec: SessionCodec = state.sessions
        session, new = codec.load(request)
        services: Services = state.services()
        actor = actor_from_key(session.actor)
        visitor = await services.sign_in.visitor(by=actor) if actor is not None else None
        if session.actor and visitor is None:  # forgotten meanwhile: the session ends here
            session, new = replace(session, actor=None, via=None), True
        chosen = request.query_params.get("lang")
        if chosen in SUPPORTED_LANGUAGES and chosen != session.language and visitor is None:
            session, new = replace(session, language=chosen), True
        language = (visitor.language if visitor else None) or session.language or browser_language(request.headers.get("accept-language")) or services.config.programme.default_language
        return cls(request, services, services.config, session, new, visitor, normalize_language(language))

    # ---- who -------------------------------------------------------------------------------

    def signed_in(self) -> Person:
        if self.visitor is None:
            raise SignInRequired()
        return self.visitor

    def by(self) -> Actor:
        """The actor every service call of a page names (``by=``); the service checks the rest."""
        return self.signed_in().actor

    @property
    def name(self) -> str:
        """How the pages greet the signed-in person."""
        person = self.visitor
        if person is None:
            return ""
        if person.contact is not None:
            return person.contact.display_name
        coordinator = self.config.programme.coordinator(person.actor)
        return coordinator.name if coordinator is not None and coordinator.name else str(person.actor.telegram_user_id)

    def t(self, message: str, **values: object) -> str:
        return gettext(self.language, message, **values)

    # ---- answers ------------------------------------------------------------------------

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        language = self.language
        response = TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "t": partial(gettext, language),
                "lang": language,
                "languages": LANGUAGE_NAMES,
                "visitor": self.visitor,
                "visitor_name": self.name,
                "programme": self.config.programme.name,
                "csrf_field": self.csrf_field,
                "csrf_token": self.session.csrf,
                "static": static_url,
                "path": self.request.url.path,
                "when": self.when,
                "day": self.day,
                **context,
            },
            status_code=status_code,
        )
        self.keep_session(response)
        return response

    def redirect(self, url: str) -> Response:
        response = RedirectResponse(url, status_code=303)  # after a POST: GET the page again
        self.keep_session(response)
        return response

    def keep_session(self, response: Response) -> None:
        if self.session_changed:
            self.request.app.state.sessions.store(response, self.session)

    def start_session(self, actor: Actor, via: str) -> None:
        self.session = SessionCodec.signed_in(self.session, actor_key(actor), via)
        self.session_changed = True

    def end_session(self) -> None:
        self.session = SessionData(language=self.session.language)
        self.session_changed = True

    def csrf_field(self) -> Markup:
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(self.session.csrf)}">')

    # ---- times, in the reader's zone and language ---------------------------------------

    @property
    def zone(self) -> str:
        """Where the reader lives: their city's zone; coordinators (and visitors) the programme's."""
        return self.visitor.city.timezone if self.visitor and self.visitor.city else self.config.programme.timezone

    def when(self, instant_utc: datetime, *cities: City) -> str:
        """An instant in the reader's zone, then in each city's ("Wed 31 Mar 2027, 15:00 Panjin (UTC+8) · 09:00 Hamburg (UTC+2)")."""
        return format_instant(instant_utc, self.zone, self.language, [Place.of(c) for c in cities])

    def day(self, value: date) -> str:
        """A calendar day with its weekday, as the reader writes it."""
        return format_date(value, _DAY_PATTERNS[self.language], locale=self.language)
