"""The use cases. Each service call opens one unit of work and returns domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.ports import NoWakeups, UnitOfWorkFactory, Wakeups

if TYPE_CHECKING:
    from bot.services.delivery import DeliveryService


@dataclass
class Services:
    """Everything a handler or job may call, built once by the composition root."""

    config: Config
    clock: Clock
    uow_factory: UnitOfWorkFactory
    wakeups: Wakeups = field(default_factory=NoWakeups)
    delivery: DeliveryService | None = None  # sends the outbox; set by the composition root
