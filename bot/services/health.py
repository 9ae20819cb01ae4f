"""``GET /healthz``: is the database answering, and is the sender keeping up?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.base import ServiceBase

log = logging.getLogger(__name__)
# The sender wakes at every due time and sweeps every minute; a message due longer ago than this
# means it is stuck (or stopped).
SENDER_BEHIND_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "unreachable"
    sender: str  # "ok", "behind", "stopped" or "off" (no sender in this process)
    oldest_due_utc: datetime | None

    @property
    def ok(self) -> bool:
        return self.database == "ok"

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "failing",
            "database": self.database,
            "sender": self.sender,
            "oldest_due_utc": self.oldest_due_utc.isoformat() if self.oldest_due_utc else None,
        }


class HealthService(ServiceBase):
    async def check(self) -> Health:
        now = self.now()
        try:
            async with self.reading() as uow:
                oldest_due = await uow.outbox.next_due()
        except Exception as exc:  # noqa: BLE001 - any failure to read is "unreachable" to a load balancer
            log.warning("health check: the database does not answer: %s", type(exc).__name__)
            return Health("unreachable", "unknown", None)
        delivery = self.root.delivery
        if delivery is None:
            sender = "off"
        elif delivery.stopping:
            sender = "stopped"
        elif oldest_due is not None and now - oldest_due > SENDER_BEHIND_AFTER:
            sender = "behind"
        else:
            sender = "ok"
        return Health("ok", sender, oldest_due)
