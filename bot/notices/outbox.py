"""Queuing notices: every outgoing message is an outbox row first, on the channels the rule gives.

A feature queues inside its own unit of work and commits with it; the delivery service renders
each row when it is due (``bot.notices`` lists the renderers). ``queue_notice`` applies the one
channel rule (``Contact.channels_for``) to every recipient, and tells the coordinators, once,
when nobody of a city the notice is about can be reached at all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain import Channel, Contact, NoticeKind, OutgoingMessage, OutgoingRequest, Role
from bot.ports import UnitOfWork

log = logging.getLogger(__name__)


class NoticeSink(Protocol):
    """Where ``queue_notice`` puts its rows: the unit of work's outbox, or a collector that writes
    the rows of many notices at once later in the same transaction (``bot.services.mail_in``)."""

    async def enqueue_many(self, requests: Sequence[OutgoingRequest]) -> list[OutgoingMessage]: ...


class NoticeBatch:
    """Notices collected (a ``NoticeSink``) and written together later in the same transaction: a
    few statements instead of one per notice (a batch of e-mail replies, a tap making many matches)."""

    chunk = 500  # rows per statement, well within both databases' limit of bound parameters

    def __init__(self) -> None:
        self.requests: list[OutgoingRequest] = []

    async def enqueue_many(self, requests: Sequence[OutgoingRequest]) -> list[OutgoingMessage]:
        self.requests.extend(requests)
        return []  # written later: the rows are not known yet, and nobody here needs them

    async def write(self, uow: UnitOfWork) -> None:
        # A key twice (two copies of one answer in the batch) is written once: ON CONFLICT DO NOTHING.
        for start in range(0, len(self.requests), self.chunk):
            await uow.outbox.enqueue_many(self.requests[start:start + self.chunk])
        self.requests = []


@dataclass(frozen=True)
class Queued:
    kind: str  # a NoticeKind's value (tests and benchmarks add kinds of their own)
    contact_id: int
    due_utc: datetime
    dedupe_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    session_id: int | None = None
    channel: Channel = Channel.TELEGRAM


async def queue(uow: UnitOfWork, item: Queued) -> OutgoingMessage | None:
    """Queue one row inside the caller's unit of work; None if one with its key was queued before."""
    message: OutgoingMessage | None = await uow.outbox.enqueue(
        dedupe_key=item.dedupe_key,
        kind=item.kind,
        channel=item.channel,
        contact_id=item.contact_id,
        due_utc=item.due_utc,
        payload=item.payload,
        session_id=item.session_id,
    )
    return message


async def queue_notice(
    uow: UnitOfWork,
    kind: NoticeKind,
    recipients: Sequence[Contact],
    *,
    key: str,
    due_utc: datetime,
    payload: dict[str, Any],
    email_enabled: bool,
    session_id: int | None = None,
    cities: Iterable[int] = (),
    sink: NoticeSink | None = None,
    people_of: Mapping[int, Sequence[Contact]] | None = None,
) -> list[OutgoingMessage]:
    """Queue ``kind`` to each recipient on the channels the rule gives them; returns the new rows
    (none known yet when ``sink`` collects them to write later; default: ``uow.outbox`` at once).

    Each row's dedupe key is ``<key>:<contact id>:<channel>``, so queuing twice is a no-op.
    ``cities`` are the cities the notice is about: if nobody of one of them can be reached on any
    channel, the coordinators are told (once per city and set of its people). ``people_of``: the
    people of those cities, when the caller has read them already.
    """
    # All recipients in one statement (a notice to a session's twenty people is one round trip).
    queued: list[OutgoingMessage] = await (sink or uow.outbox).enqueue_many([
        OutgoingRequest(f"{key}:{contact.id}:{channel.value}", kind.value, channel, contact.id, due_utc, payload, session_id)
        for contact in recipients
        for channel in contact.channels_for(kind, email_enabled=email_enabled)
    ])
    for city_id in cities:
        people = list(people_of[city_id]) if people_of is not None and city_id in people_of else await uow.contacts.of_city(city_id)
        if not any(person.channels_for(kind, email_enabled=email_enabled) for person in people):
            queued += await _tell_city_unreachable(uow, city_id, people, due_utc, email_enabled)
    return queued


async def _tell_city_unreachable(
    uow: UnitOfWork, city_id: int, people: Sequence[Contact], due_utc: datetime, email_enabled: bool
) -> list[OutgoingMessage]:
    coordinators: list[Contact] = await uow.contacts.with_role(Role.COORDINATOR)
    if not any(c.channels_for(NoticeKind.CITY_UNREACHABLE, email_enabled=email_enabled) for c in coordinators):
        log.warning("nobody of city %s can be reached, and no coordinator either", city_id)
    # Once per city and set of its people: a new contact who cannot be reached either is news.
    people_key = hashlib.sha256(",".join(str(p.id) for p in people).encode()).hexdigest()[:12]
    return await queue_notice(
        uow,
        NoticeKind.CITY_UNREACHABLE,
        coordinators,
        key=f"{NoticeKind.CITY_UNREACHABLE.value}:{city_id}:{people_key}",
        due_utc=due_utc,
        payload={"city_id": city_id},
        email_enabled=email_enabled,
    )
