"""The two ways the bot reaches the offline Bot API: in-process and over loopback HTTP.

* :class:`OfflineRequest` -- a python-telegram-bot ``BaseRequest`` that hands each request to a
  :class:`FakeBotApi` in-process (conversation tests and the demo), like PTB's own
  ``tests/auxil/networking.py::OfflineRequest``.
* :func:`serve_bot_api` -- the same ``FakeBotApi`` behind a real HTTP endpoint on the loopback
  interface (the delivery benchmark and ``tandem run`` tests, where requests go through httpx).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from offline_bot_api.api import FakeBotApi
from offline_bot_api.values import Fault, JSONDict, UploadedFile

_LOGGER = logging.getLogger(__name__)


# Parameters whose values are strings even when they look like JSON ("42", "true", "[1]").
# Every other parameter arrives JSON-encoded from python-telegram-bot (RequestParameter.json_value
# leaves only str values unencoded) and is decoded, so both transports record the same values.
_STRING_PARAMETERS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
        "language_code", "description", "short_description", "name", "document", "emoji",
        "action", "inline_message_id", "business_connection_id", "message_effect_id",
        "ip_address", "title", "query_id", "certificate",
    }
)


def decode_parameters(raw: Mapping[str, str]) -> JSONDict:
    """Turn request fields (JSON-encoded values, raw strings) into the values the bot meant."""
    decoded: JSONDict = {}
    for name, value in raw.items():
        if name in _STRING_PARAMETERS:
            decoded[name] = value
            continue
        try:
            decoded[name] = json.loads(value)
        except (TypeError, ValueError):
            decoded[name] = value  # e.g. chat_id "@channel"
    return decoded


def offline_bot(api: FakeBotApi) -> Bot:
    """A real ``telegram.Bot`` whose two request objects both answer from ``api``.

    Both matter: a ``Bot`` given only ``request=`` still polls api.telegram.org through its
    default ``get_updates_request``.
    """
    return Bot(api.token, request=OfflineRequest(api), get_updates_request=OfflineRequest(api))


def as_update(update: JSONDict, bot: Bot) -> Update:
    """The ``telegram.Update`` for an update dict, ready for ``Application.process_update``."""
    return Update.de_json(update, bot)


# --------------------------------------------------------------------------------------------
# Transport 1: in-process, as python-telegram-bot's request object
# --------------------------------------------------------------------------------------------


def _split_bot_url(url: str) -> tuple[str | None, str]:
    """``https://api.telegram.org/bot<token>/<method>`` -> (token, method)."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    if not segments:
        return None, ""
    method = segments[-1]
    if len(segments) >= 2 and segments[-2].startswith("bot"):
        return segments[-2].removeprefix("bot"), method
    return None, method


def _upload_from_field(name: str, field_tuple: tuple[str, Any, str]) -> UploadedFile:
    file_name, content, mime_type = field_tuple
    data = content if isinstance(content, bytes) else content.read()
    return UploadedFile(field_name=name, file_name=file_name, content=data, mime_type=mime_type)


class OfflineRequest(BaseRequest):
    """python-telegram-bot's request layer answered in-process by a :class:`FakeBotApi`.

    Use one for ``ApplicationBuilder().request(...)`` and another for
    ``.get_updates_request(...)`` -- always both, or polling goes to api.telegram.org; they may
    share a ``FakeBotApi``. Injected network faults are
    raised as ``TimedOut`` / ``NetworkError``, the exceptions ``HTTPXRequest`` raises.
    """

    def __init__(self, api: FakeBotApi, *, read_timeout: float = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: no connections."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the FakeBotApi; see ``BaseRequest.do_request``."""
        token, api_method = _split_bot_url(url)
        raw = request_data.json_parameters if request_data else {}
        files = {
            name: _upload_from_field(name, field_tuple)
            for name, field_tuple in (request_data.multipart_data if request_data else {}).items()
        }
        answer = await self.api.answer(api_method, decode_parameters(raw), files, token=token)
        if answer.network_fault is Fault.TIMEOUT:
            raise TimedOut("Timed out")  # what HTTPXRequest raises for httpx.ReadTimeout
        if answer.network_fault is Fault.NETWORK_ERROR:
            raise NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        assert answer.status_code is not None and answer.payload is not None
        return answer.status_code, json.dumps(answer.payload).encode()


# --------------------------------------------------------------------------------------------
# Transport 2: a real HTTP endpoint on the loopback interface
# --------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve_bot_api(
    api: FakeBotApi,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_body_bytes: int = 50 * 1024 * 1024,
) -> AsyncIterator[str]:
    """Serve ``api`` over HTTP on a loopback address; yields the ``base_url`` for the Bot.

    ``Bot(token, base_url=url)`` / ``ApplicationBuilder().base_url(url)`` then talks to it through
    the real httpx stack. Port 0 picks a free port. Requests larger than ``max_body_bytes`` are
    refused, idle connections close after 30 s, and leaving the context stops the server, answers
    waiting long polls and closes every connection. Network faults: ``NETWORK_ERROR`` drops the
    connection without an answer; ``TIMEOUT`` holds the request for ``hold_seconds`` first.
    """
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"serve_bot_api listens on loopback addresses only, not {host!r}")

    stopping = asyncio.Event()  # set on exit: held requests end at once
    in_flight: set[asyncio.Task[Any]] = set()

    class BotApiHandler(tornado.web.RequestHandler):
        """One Bot API request: ``/bot<token>/<method>``."""

        async def post(self, token: str, method: str) -> None:
            task = asyncio.current_task()
            assert task is not None
            in_flight.add(task)
            try:
                await self._answer(token, method)
            finally:
                in_flight.discard(task)

        get = post

        async def _answer(self, token: str, method: str) -> None:
            content_type = self.request.headers.get("Content-Type", "")
            if content_type.startswith("application/json") and self.request.body:
                params = dict(json.loads(self.request.body))
            else:
                params = decode_parameters(
                    {
                        name: values[-1].decode("utf-8", "replace")
                        for name, values in self.request.arguments.items()
                    }
                )
            files = {
                name: UploadedFile(
                    field_name=name,
                    file_name=parts[-1].filename,
                    content=parts[-1].body,
                    mime_type=parts[-1].content_type,
                )
                for name, parts in self.request.files.items()
            }
            answer = await api.answer(method, params, files, token=token)
            if answer.network_fault is not None:
                if answer.network_fault is Fault.TIMEOUT:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), answer.hold_seconds)
                self.detach().close()  # no status line at all: the client sees a dropped line
                return
            assert answer.status_code is not None
            self.set_status(answer.status_code)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer.payload))

        def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
            _LOGGER.warning("offline Bot API endpoint failed", exc_info=(typ, value, tb))

    def log_request(handler: tornado.web.RequestHandler) -> None:
        # Injected 429s would flood tornado's access log (WARNING) in the benchmark.
        _LOGGER.debug("%s %s", handler.get_status(), handler.request.uri)

    application = tornado.web.Application(
        [(r"/bot([^/]+)/([A-Za-z]+)", BotApiHandler)], log_function=log_request
    )
    server = tornado.httpserver.HTTPServer(
        application, max_body_size=max_body_bytes, idle_connection_timeout=30
    )
    sockets = tornado.netutil.bind_sockets(port, address=host)
    server.add_sockets(sockets)
    bound_port = sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}/bot"
    finally:
        server.stop()
        stopping.set()
        api.release_pollers()
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), 5)
