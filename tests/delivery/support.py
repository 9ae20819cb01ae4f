"""The delivery service with its real channels, and only the network replaced.

* :class:`TelegramBoundary` -- the real ``TelegramChannel`` on a real bot with the real rate
  limiter (on a fast clock), talking to the offline Bot API in-process; what arrived is read from
  the Bot API's record, and Telegram's errors are injected there (``api.fail_next``, ``api.block``).
* :class:`EmailBoundary` -- the real ``EmailChannel`` and ``SmtpMailer`` talking to a local SMTP
  server (aiosmtpd); what arrived is read from what the server received.
* ``PING`` -- a kind of message of the tests' own beside the programme's table of renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from telegram.ext import ExtBot

from bot.clock import ManualClock
from bot.config import Config, ProgrammeConfig
from bot.domain import Channel, Contact, OutgoingMessage
from bot.email import EmailChannel, SmtpMailer
from bot.notices import RENDERERS
from bot.notices.rendering import RenderContext
from bot.ports import MessageChannel, Notification
from bot.services.delivery import DeliveryService, RetryPolicy
from handlers.notifier import TelegramChannel
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import DEFAULT_TOKEN, FakeBotApi, OfflineRequest
from storage.uow import UnitOfWorkFactory
from tests.delivery.conftest import NOW
from tests.local_smtp import RecordingHandler

PING = "test_ping"


async def render_ping(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    return Notification(text=f"ping {message.payload['n']} for {recipient.display_name}")


@dataclass(frozen=True)
class Delivered:
    chat_id: int
    text: str


class TelegramBoundary:
    """The Telegram channel as in production, up to the network; the offline Bot API behind it.

    The limiter retries no 429 itself (``max_retries=0``), so that a 429 reaches the delivery
    service, whose handling these tests check; its pacing runs on a clock 1,000 times as fast.
    """

    def __init__(self, api: FakeBotApi | None = None, request: OfflineRequest | None = None) -> None:
        self.api = api or FakeBotApi(now=lambda: NOW, require_known_chats=False)
        self.bot = ExtBot(
            DEFAULT_TOKEN, request=request or OfflineRequest(self.api), rate_limiter=TelegramRateLimiter(speed=1000, max_retries=0)
        )
        self.channel = TelegramChannel(self.bot)

    @property
    def delivered(self) -> list[Delivered]:
        """Every message that reached a chat (text, or a document's caption), in order."""
        return [
            Delivered(int(c.params["chat_id"]), str(c.params.get("text") or c.params.get("caption") or ""))
            for c in self.api.calls()
            if c.ok and c.method in ("sendMessage", "sendDocument")
        ]

    @property
    def attempts(self) -> int:
        return len([c for c in self.api.calls() if c.method in ("sendMessage", "sendDocument")])

    def texts_to(self, chat_id: int | None) -> list[str]:
        return [d.text for d in self.delivered if d.chat_id == chat_id]


class EmailBoundary:
    """The e-mail channel as in production, up to the network; a local SMTP server behind it."""

    def __init__(self, server: tuple[RecordingHandler, int], clock: ManualClock | None = None) -> None:
        self.handler, port = server
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="none", timeout=10.0)
        self.channel = EmailChannel(mailer, from_address="tandem@example.org", from_name="Tandem", clock=clock or ManualClock(NOW))

    @property
    def delivered(self) -> list[EmailMessage]:
        return self.handler.messages()


def delivery_service(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    telegram: TelegramBoundary,
    email: EmailBoundary | None = None,
    **options: object,
) -> DeliveryService:
    channels: dict[Channel, MessageChannel] = {Channel.TELEGRAM: telegram.channel}
    if email is not None:
        channels[Channel.EMAIL] = email.channel
    options.setdefault("retry", RetryPolicy(first_delay=timedelta(seconds=30), max_attempts=3))
    options.setdefault("renderers", {**RENDERERS, PING: render_ping})
    options.setdefault("config", Config(programme=ProgrammeConfig(timezone="Europe/Brussels")))  # the coordinators' zone
    return DeliveryService(uow_factory, clock, channels, **options)  # type: ignore[arg-type]
