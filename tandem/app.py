"""The composition root: the only module that sees handlers, services and storage together.

``build_application(config)`` is used by ``tandem run``, by the conversation tests and by the
offline demo alike; tests and the demo pass their own request layer (the network boundary) and
clock, nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Mapping

from telegram.ext import ApplicationBuilder, ContextTypes, ExtBot
from telegram.request import BaseRequest, HTTPXRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.domain import Channel
from bot.email import EmailChannel, SmtpMailer
from bot.mailboxes import ImapMailbox
from bot.notices import RENDERERS, Renderer
from bot.ports import MessageChannel
from bot.services import Services
from bot.services.delivery import DeliveryService
from handlers.context import TandemApplication, TandemContext
from handlers.jobs import DELIVERY_LOOP_KEY, DeliveryLoop, JobQueueWakeups, start_jobs, stop_jobs
from handlers.notifier import TelegramChannel
from handlers.ordering import OneChatInOrder
from handlers.outgoing import LimitedBot
from handlers.rate_limit import TelegramRateLimiter
from storage.db import check_schema, create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
ENGINE_KEY = "engine"
DELIVERY_CONCURRENCY = 16  # messages the sender renders and sends at once
MAIL_IN_KEY = "mail_in"  # (the reader's task, its stop event) while replies are read


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: TelegramRateLimiter | None = None,
    renderers: Mapping[str, Renderer] = RENDERERS,
) -> TandemApplication:
    """Wire the bot: Telegram client, handlers, and (at start-up) the database and services.

    Every Bot API call goes through a :class:`~handlers.rate_limit.TelegramRateLimiter` (Telegram's
    flood limits, answers first; by default at ``[telegram] messages_per_second``); the offline
    demo and tests pass one with a faster ``speed`` (a fast clock for the pacing, never no pacing).
    ``renderers`` is the table of outgoing messages (``bot.notices``; the delivery benchmark adds a
    kind of its own).
    """
    # Tandem's bot keeps Telegram's limits on every request (handlers/outgoing.py); the request
    # objects are python-telegram-bot's defaults unless a test or the demo brings its own.
    bot: ExtBot[None] = LimitedBot(
        token=config.telegram.token or "0:offline",
        base_url=config.telegram.api_base_url,
        base_file_url=config.telegram.file_base_url,
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=get_updates_request or HTTPXRequest(connection_pool_size=1),
        rate_limiter=rate_limiter or TelegramRateLimiter(messages_per_second=config.telegram.messages_per_second),
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .context_types(ContextTypes(context=TandemContext))
        # Updates of different chats run at once; one chat's one at a time, in order (handlers/ordering.py).
        .concurrent_updates(OneChatInOrder(config.telegram.concurrent_updates))
    )
    if config.telegram.mode == "webhook":
        builder = builder.updater(None)  # tandem/server.py serves the webhook route itself
    application = builder.build()
    application.bot_data["config"] = config
    application.bot_data["clock"] = clock or SystemClock()
    application.bot_data["renderers"] = renderers
    handlers.register(application)
    return application


async def _post_init(application: TandemApplication) -> None:
    """Open the database (refusing an outdated schema) and build the services."""
    config: Config = application.bot_data["config"]
    # A connection for each update handled at once, each message the sender renders at once, and
    # the jobs and web pages beside them.
    connections = config.telegram.concurrent_updates + DELIVERY_CONCURRENCY + 8
    engine = create_engine(config.database.url, echo=config.database.echo, connections=connections)
    application.bot_data[ENGINE_KEY] = engine
    await check_schema(engine)
    clock: Clock = application.bot_data["clock"]
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    assert application.job_queue is not None  # python-telegram-bot[job-queue] is a dependency
    delivery_loop = DeliveryLoop(clock, sweep=config.delivery.claim_lease / 2)
    application.bot_data[DELIVERY_LOOP_KEY] = delivery_loop
    wakeups = JobQueueWakeups(application.job_queue, clock, delivery_loop, planning_debounce=config.scheduling.planning_debounce)
    application.bot_data[SERVICES_KEY] = Services(
        config=config,
        clock=clock,
        uow_factory=uow_factory,
        wakeups=wakeups,
        delivery=DeliveryService(
            uow_factory, clock, _channels(application, config, clock),
            renderers=application.bot_data["renderers"], wakeups=wakeups, config=config,
            lease=config.delivery.claim_lease, concurrency=DELIVERY_CONCURRENCY,
        ),
    )
    if engine.dialect.name == "sqlite":  # one process: any claim left is a dead sender's
        await application.bot_data[SERVICES_KEY].delivery.take_back_all_claims()
    # The chat: topics from the config into the database, and the localized command menus.
    await application.bot_data[SERVICES_KEY].interests.sync_topics()
    await handlers.help.set_command_menus(application.bot, config)
    start_jobs(application)
    if config.email.reads_replies:
        _start_reading_replies(application, config)


def _start_reading_replies(application: TandemApplication, config: Config) -> None:
    """Read the organizer's mailbox in the background (``bot.services.mail_in``), one reader across processes."""
    email = config.email

    def connect() -> ImapMailbox:
        return ImapMailbox(
            host=email.imap_host, port=email.imap_port, security=email.imap_security, username=email.imap_username,
            password=str(email.imap_password), folder=email.imap_folder, processed_folder=email.imap_processed_folder,
            unmatched_folder=email.imap_unmatched_folder, timeout=email.timeout.total_seconds(),
        )

    stop = asyncio.Event()
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    services: Services = application.bot_data[SERVICES_KEY]
    task = asyncio.create_task(services.mail_in.run(connect, owner=owner, stop=stop), name="tandem-mail-in")
    application.bot_data[MAIL_IN_KEY] = (task, stop)
    log.info("reading replies from %s", connect().name)


def _channels(application: TandemApplication, config: Config, clock: Clock) -> dict[Channel, MessageChannel]:
    """Telegram always; e-mail when ``[email] enabled`` (else e-mail rows are dropped, logged)."""
    channels: dict[Channel, MessageChannel] = {
        Channel.TELEGRAM: TelegramChannel(application.bot)
    }
    if config.email.enabled:
        mailer = SmtpMailer(
            host=config.email.host,
            port=config.email.port,
            security=config.email.security,  # type: ignore[arg-type]
            username=config.email.username or None,
            password=config.email.password or None,
            timeout=config.email.timeout.total_seconds(),
        )
        channels[Channel.EMAIL] = EmailChannel(
            mailer, from_address=config.email.sender, from_name=config.programme.organizer_name, clock=clock
        )
    return channels


async def _post_shutdown(application: TandemApplication) -> None:
    """Stop delivery (sends in flight finish, unsent claims go back to the queue) and the jobs
    still running, then close the database."""
    reading = application.bot_data.pop(MAIL_IN_KEY, None)
    if reading is not None:  # the reader finishes the message in hand, files it, and gives the mailbox back
        task, stop = reading
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=60)
        except Exception:
            log.exception("the reply reader did not stop cleanly")
    await stop_jobs(application)
    engine = application.bot_data.pop(ENGINE_KEY, None)
    if engine is not None:
        await engine.dispose()
