"""Test doubles at the channel port: a channel that records what it sends and fails on demand,
and a kind of message of the tests' own (``PING``) beside the programme's table of renderers."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import ManualClock
from bot.config import Config, ProgrammeConfig
from bot.domain import Channel, Contact, OutgoingMessage
from bot.notices import RENDERERS
from bot.notices.rendering import RenderContext
from bot.ports import HandOver, Notification, SendError
from bot.services.delivery import DeliveryService, RetryPolicy
from storage.uow import UnitOfWorkFactory

PING = "test_ping"


async def render_ping(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    return Notification(text=f"ping {message.payload['n']} for {recipient.display_name}")


@dataclass(frozen=True)
class Delivered:
    contact_id: int
    text: str
    notification: Notification


class RecordingChannel:
    """A ``MessageChannel`` that keeps what it was given; ``fail_next`` raises instead, in order."""

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self.attempts = 0
        self._failures: deque[SendError] = deque()

    def fail_next(self, *errors: SendError) -> None:
        self._failures.extend(errors)

    async def send(self, recipient: Contact, notification: Notification, *, handing_over: HandOver) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.popleft()
        await handing_over()
        self.delivered.append(Delivered(recipient.id, notification.text, notification))

    def texts_to(self, contact_id: int) -> list[str]:
        return [d.text for d in self.delivered if d.contact_id == contact_id]


def delivery_service(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    telegram: RecordingChannel,
    email: RecordingChannel | None = None,
    **options: object,
) -> DeliveryService:
    channels = {Channel.TELEGRAM: telegram}
    if email is not None:
        channels[Channel.EMAIL] = email
    options.setdefault("retry", RetryPolicy(first_delay=timedelta(seconds=30), max_attempts=3))
    options.setdefault("renderers", {**RENDERERS, PING: render_ping})
    options.setdefault("config", Config(programme=ProgrammeConfig(timezone="Europe/Brussels")))  # the coordinators' zone
    return DeliveryService(uow_factory, clock, channels, **options)  # type: ignore[arg-type]
