"""``tandem run``: the bot, the web app and (in webhook mode) the webhook route in one process, one port.

Built the way python-telegram-bot documents a custom webhook server (its ``customwebhookbot``
example): Starlette on uvicorn, inside the same event loop as the ``Application``. In webhook mode
the application has no updater (``build_application`` passes ``updater(None)``): the route below
checks Telegram's secret header and puts each update on ``application.update_queue``. In polling
mode the updater polls as before and the web app is served beside it.

Where it listens: ``[web] listen``/``port`` when the web app is enabled; otherwise, in webhook
mode, ``[telegram] webhook_listen``/``webhook_port`` (the webhook and ``/healthz`` only); in
polling mode without the web app, nowhere.

SIGTERM and SIGINT stop it in order: no new requests, the updater stops, the application finishes
what it is doing (``post_shutdown`` returns unsent claims of the outbox), then the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.config import Config
from tandem.app import SERVICES_KEY
from web.app import create_app
from web.security import same_token

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ListenError(Exception):
    """The server cannot listen where the configuration says (the port is taken, say)."""


def webhook_route(application: Application[Any, Any, Any, Any, Any, Any], config: Config) -> Route:
    """POST on the webhook URL's own path (so a proxy can forward it unchanged)."""
    secret = str(config.telegram.webhook_secret)

    async def telegram_webhook(request: Request) -> Response:
        if not same_token(secret, request.headers.get(SECRET_HEADER)):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError):
            return PlainTextResponse("not an update", status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    path = urlsplit(config.telegram.webhook_url).path or "/"
    return Route(path, telegram_webhook, methods=["POST"], name="telegram_webhook")


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` stops the bot and the server together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _username(application: Application[Any, Any, Any, Any, Any, Any]) -> str | None:
    """The bot's username, once ``getMe`` has answered (the application is initialised); else None."""
    try:
        return str(application.bot.username)
    except RuntimeError:
        return None


def build_server(application: Application[Any, Any, Any, Any, Any, Any], config: Config, sock: socket.socket) -> _Server:
    routes = [webhook_route(application, config)] if config.telegram.mode == "webhook" else []
    app = create_app(
        config,
        lambda: application.bot_data[SERVICES_KEY],
        bot_token=str(config.telegram.token),
        extra_routes=routes,
        pages=config.web.enabled,
        bot_username=lambda: _username(application),
    )
    uvicorn_config = uvicorn.Config(
        app,
        lifespan="off",  # the bot's own start-up and shutdown come first and last
        log_config=None,  # keep Tandem's logging (the token redaction) as it is
        access_log=False,
        server_header=False,
        proxy_headers=True,  # the client's address from X-Forwarded-For, when the proxy is on loopback
    )
    return _Server(uvicorn_config)


def address(config: Config) -> tuple[str, int] | None:
    """Where ``tandem run`` listens, or None (polling without the web app)."""
    if config.web.enabled:
        return config.web.listen, config.web.port
    if config.telegram.mode == "webhook":
        return config.telegram.webhook_listen, config.telegram.webhook_port
    return None


async def serve(application: Application[Any, Any, Any, Any, Any, Any], config: Config, *, stop: asyncio.Event | None = None, sock: socket.socket | None = None) -> None:
    """Run the bot (and the server) until ``stop`` is set or SIGTERM/SIGINT arrives."""
    where = address(config)
    if sock is None and where is not None:
        sock = listening_socket(*where)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread (tests)
            loop.add_signal_handler(sig, stop.set)
    server_task: asyncio.Task[Any] | None = None
    try:
        async with application:
            if application.post_init:
                await application.post_init(application)
            await application.start()
            if config.telegram.mode == "webhook":
                await application.bot.set_webhook(
                    url=config.telegram.webhook_url, secret_token=str(config.telegram.webhook_secret) or None
                )
            else:
                assert application.updater is not None
                await application.updater.start_polling()
            if sock is not None:
                server = build_server(application, config, sock)
                server_task = asyncio.create_task(server.serve(sockets=[sock]))
                log.info("listening on %s:%s", *(where or sock.getsockname()[:2]))
            stopper = asyncio.create_task(stop.wait())
            waiting = {stopper} | ({server_task} if server_task else set())
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if server_task is not None:
                server.should_exit = True
                await server_task  # raises if the server failed
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if sock is not None:
            sock.close()
    if application.post_shutdown:
        await application.post_shutdown(application)
