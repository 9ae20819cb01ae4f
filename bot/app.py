"""The composition root: the only module that sees handlers, services and storage together.

``build_application(config)`` is used by ``tandem run``, by the conversation tests and by the
offline demo alike; tests and the demo pass their own request layer (the network boundary) and
clock, nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.services import Services
from handlers.context import TandemContext
from storage.db import check_schema, create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
ENGINE_KEY = "engine"


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: Any = "default",
) -> Application:
    """Wire the bot: Telegram client, handlers, and (at start-up) the database and services."""
    builder = (
        ApplicationBuilder()
        .token(config.telegram.token or "0:offline")
        .base_url(config.telegram.api_base_url)
        .base_file_url(config.telegram.file_base_url)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .context_types(ContextTypes(context=TandemContext))
    )
    if rate_limiter == "default":
        rate_limiter = AIORateLimiter(max_retries=3)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data["config"] = config
    application.bot_data["clock"] = clock or SystemClock()
    handlers.register(application)
    return application


async def _post_init(application: Application) -> None:
    """Open the database (refusing an outdated schema) and build the services."""
    config: Config = application.bot_data["config"]
    engine = create_engine(config.database.url, echo=config.database.echo)
    application.bot_data[ENGINE_KEY] = engine
    await check_schema(engine)
    application.bot_data[SERVICES_KEY] = Services(
        config=config,
        clock=application.bot_data["clock"],
        uow_factory=UnitOfWorkFactory(create_session_factory(engine)),
    )
    # The chat: topics from the config into the database, and the localized command menus.
    await application.bot_data[SERVICES_KEY].interests.sync_topics()
    await handlers.help.set_command_menus(application.bot, config)


async def _post_shutdown(application: Application) -> None:
    engine = application.bot_data.pop(ENGINE_KEY, None)
    if engine is not None:
        await engine.dispose()
