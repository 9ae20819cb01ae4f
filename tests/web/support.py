"""The web app's test programme: Panjin (e-mail only), Hamburg and Lisbon, on a real database.

Built through the real services (a coordinator adds the cities, an e-mail-only contact for
Panjin, Telegram contacts join Hamburg and Lisbon through invite links), then served by the real
Starlette app: in process through httpx's ASGI transport (``WebClient``), or on a loopback port by
uvicorn in a thread of its own (``LiveServer``, for the browser).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from bot.clock import ManualClock
from bot.config import Config, config_from_mapping
from bot.domain import Actor
from bot.mini_app import sign_init_data
from bot.services import Services
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from web.app import create_app

TOKEN = "123456789:AAH-test-token-of-the-tandem-bot_xyz"
OTHER_BOT_TOKEN = "987654321:AAH-another-bots-token-abcdefghijk"
SECRET = "test-secret-of-the-web-app-0123456789abcdef"
NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)  # a Monday
COORDINATOR = 1001
OTHER_COORDINATOR = 1002
HAMBURG_CONTACT = 3001
LISBON_CONTACT = 4001
STRANGER = 9999
PANJIN_EMAIL = "wang.fang@panjin.example.cn"

T = TypeVar("T")


def web_config(database_url: str, email: bool = True, **web: Any) -> Config:
    """The test programme's config: e-mail on by default (Panjin's contact has nothing else)."""
    return config_from_mapping(
        {
            "database": {"url": database_url},
            "email": {"enabled": email, "sender": "tandem@example.org", "host": "127.0.0.1", "security": "none"},
            "programme": {
                "name": "Panjin – EU pilot cities",
                "groups": ["China", "EU"],
                "timezone": "Europe/Brussels",
                "topics": [
                    {"key": "wetlands", "en": "Ecological protection of wetlands", "zh": "湿地生态保护", "de": "Schutz von Feuchtgebieten"},
                    {"key": "tourism", "en": "Tourism planning", "zh": "旅游规划", "de": "Tourismusplanung"},
                    {"key": "agriculture", "en": "Modern agriculture", "zh": "现代农业", "de": "Moderne Landwirtschaft"},
                ],
                "coordinators": [
                    {"telegram_id": COORDINATOR, "name": "Coordinator", "email": "team@example.org"},
                    {"telegram_id": OTHER_COORDINATOR, "name": "Other coordinator", "language": "de"},
                ],
            },
            "web": {"enabled": True, "secret": SECRET, **web},
        },
        env={"TANDEM_TELEGRAM_TOKEN": TOKEN},
    )


@dataclass
class Programme:
    services: Services
    clock: ManualClock
    panjin: int
    hamburg: int
    lisbon: int
    wang_fang: int  # the e-mail-only contact of Panjin
    hamburg_contact: int  # contact ids
    lisbon_contact: int


async def make_programme(config: Config, uow_factory: UnitOfWorkFactory, clock: ManualClock | None = None) -> Programme:
    clock = clock or ManualClock(NOW)
    services = Services(config=config, clock=clock, uow_factory=uow_factory)
    await services.interests.sync_topics()
    ids = {}
    for name, country, zone, group in [
        ("Panjin", "CN", "Asia/Shanghai", "China"), ("Hamburg", "DE", "Europe/Berlin", "EU"), ("Lisbon", "PT", "Europe/Lisbon", "EU"),
    ]:
        ids[name] = (await services.cities.add(by=Actor.telegram(COORDINATOR), name=name, country=country, timezone=zone, group=group)).id
    wang = await services.cities.add_email_contact(by=Actor.telegram(COORDINATOR), city_name="Panjin", name="Wang Fang", email=PANJIN_EMAIL)
    contacts = {}
    for city, user_id, language in [("Hamburg", HAMBURG_CONTACT, "de"), ("Lisbon", LISBON_CONTACT, "en")]:
        link = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name=city)
        person = await services.onboarding.join(by=Actor.telegram(user_id), chat_id=user_id, display_name=f"{city} contact", language_code=language, code=link.code)
        assert person.contact is not None
        contacts[city] = person.contact.id
    return Programme(services, clock, ids["Panjin"], ids["Hamburg"], ids["Lisbon"], wang.id, contacts["Hamburg"], contacts["Lisbon"])


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class WebClient:
    """A browser-like HTTP client of the app, in process: cookies, CSRF tokens, redirects."""

    def __init__(self, app: Any, base_url: str = "http://tandem.test") -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=False)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, Any] | None = None, *, form_page: str | None = None, csrf: bool = True) -> httpx.Response:
        """POST a form the way a browser does: the token from the page the form is on."""
        fields = dict(data or {})
        if csrf:
            page = await self.http.get(form_page or path)
            fields["csrf"] = csrf_of(page.text)
        return await self.http.post(path, data=fields)

    async def sign_in_with(self, url: str) -> httpx.Response:
        path = httpx.URL(url).path
        page = await self.http.get(path)
        assert page.status_code == 200, page.text
        return await self.http.post(path, data={"csrf": csrf_of(page.text)})

    async def aclose(self) -> None:
        await self.http.aclose()


async def sign_in_by_mini_app(client: WebClient, user_id: int, *, now: datetime) -> httpx.Response:
    """Sign in as a Telegram user (a coordinator, say) the way the Mini App does: initData posted to /app."""
    page = await client.get("/app")
    init_data = mini_app_init_data(user_id, auth_utc=now, language="en")
    return await client.http.post("/app", data={"csrf": csrf_of(page.text), "init_data": init_data, "next": "/"})


def mini_app_init_data(user_id: int, *, auth_utc: datetime, token: str = TOKEN, first_name: str = "Ana", language: str = "de") -> str:
    import json

    user = json.dumps({"id": user_id, "first_name": first_name, "language_code": language}, separators=(",", ":"))
    return sign_init_data({"auth_date": str(int(auth_utc.timestamp())), "query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": user}, token)


class LiveServer:
    """The web app on a loopback port, run by uvicorn in a thread with its own event loop.

    The browser tests use Playwright's synchronous API, which cannot share the test's event loop;
    ``call`` runs a coroutine (a service call) in the server's loop and returns its result.
    """

    def __init__(
        self, config_for: Callable[[str], Config], database_url: str,
        build: Callable[[Config, UnitOfWorkFactory], Awaitable[Any]] | None = None,
    ) -> None:
        """``build`` makes the programme on the fresh database (the test programme by default)."""
        self.config_for, self.database_url = config_for, database_url
        self.build = build or make_programme
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.url = ""
        self.programme: Programme | None = None
        self._server: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tandem-live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        if not self.ready.wait(60) or self._error is not None:
            raise RuntimeError(f"the live server did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self.ready.set()

    async def _main(self) -> None:
        import uvicorn

        from tandem.server import listening_socket

        self.loop = asyncio.get_running_loop()
        await upgrade_async(self.database_url)
        engine = create_engine(self.database_url)
        sock = listening_socket("127.0.0.1", 0)
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = self.config_for(self.url)
        self.programme = await self.build(config, UnitOfWorkFactory(create_session_factory(engine)))
        app = create_app(config, lambda: self.programme.services, bot_token=TOKEN)  # type: ignore[union-attr]

        class Server(uvicorn.Server):
            def install_signal_handlers(self) -> None:  # older uvicorn
                return None

            def capture_signals(self) -> Any:  # newer uvicorn
                import contextlib

                return contextlib.nullcontext()

        self._server = Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
        serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.ready.set()
        await serving
        await engine.dispose()

    def call(self, coroutine: Awaitable[T]) -> T:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)


async def confirmed_session(programme: Programme, between: Callable[[], Awaitable[Any]] | None = None) -> tuple[int, int]:
    """Panjin and Hamburg both choose wetlands with overlapping hours; planned and confirmed: (match id, session id).

    ``between`` runs once the match exists, before it is planned (to send its notices, say).
    """
    services = programme.services
    wang, hamburg = Actor.contact(programme.wang_fang), Actor.telegram(HAMBURG_CONTACT)
    await services.availability.set_hours(by=wang, text="Mon-Fri 14:00-18:00")
    await services.availability.set_hours(by=hamburg, text="Mon-Fri 09:00-17:00")
    topics = {t.topic.key: t.topic.id for t in (await services.interests.overview(by=wang)).choices}
    await services.interests.choose(by=hamburg, city_id=programme.hamburg, topic_id=topics["wetlands"], chosen=True)
    view = await services.interests.choose(by=wang, city_id=programme.panjin, topic_id=topics["wetlands"], chosen=True)
    [match] = view.new_matches
    if between is not None:
        await between()
    await services.planning.plan_and_notify()
    async with services.uow_factory() as uow:
        [(start, _), *_] = await uow.matches.proposals(match.id)
    session = await services.sessions.confirm(match.id, start, by=Actor.telegram(COORDINATOR))
    return match.id, session.session.id


async def deliver_mails(programme: Programme) -> list[bytes]:
    """Send what is due through the real delivery service and e-mail channel, into a list (the SMTP stand-in)."""
    from bot.domain import Channel
    from bot.email import EmailChannel
    from bot.notices import RENDERERS
    from bot.services.delivery import DeliveryService

    sent: list[bytes] = []

    class Mailbox:
        async def send(self, message: Any) -> None:
            sent.append(bytes(message))

    channel = EmailChannel(Mailbox(), from_address="tandem@example.org", from_name="Tandem", clock=programme.clock)
    delivery = DeliveryService(
        programme.services.uow_factory, programme.clock, {Channel.EMAIL: channel}, renderers=RENDERERS, config=programme.services.config
    )
    await delivery.deliver_due()
    return sent
