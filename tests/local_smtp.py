"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests: the network boundary of the e-mail channel.

It accepts mail like an MTA, except for two kinds of mailbox: ``nobody@…`` is refused for good
(550) and ``busy@…`` for now (451), so the mailer's reading of SMTP replies is tested against
real replies.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


@dataclass
class RecordingHandler:
    """Accepts mail like a real MTA; some mailboxes are unknown or busy."""

    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, rcpt_options: Any) -> str:
        if address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if address.startswith("busy@"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        """What arrived, parsed as a mail client would."""
        parsed = [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.received]  # type: ignore[arg-type]
        assert all(isinstance(m, EmailMessage) for m in parsed)
        return parsed  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[RecordingHandler, int]]:
    """Run a server for the block; yields its handler (what it received) and its port."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
