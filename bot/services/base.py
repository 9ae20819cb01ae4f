"""What every chat service shares: the composition root's parts and who is acting."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Config
from bot.domain import Actor, City, InvalidInputError, Payload, PermissionDeniedError, Role
from bot.ports import UnitOfWork, Wakeups
from bot.services.errors import user_error
from bot.services.people_model import Person, resolve_person

if TYPE_CHECKING:
    from bot.services import Services


def telegram_user(by: Actor) -> int:
    """The Telegram user id of an actor, for what only the chat does (join a city, greet)."""
    if by.telegram_user_id is None:
        raise user_error(PermissionDeniedError, "This is done in Telegram.")
    return by.telegram_user_id


class ServiceBase:
    """A use-case group; reads ``wakeups`` from the root at call time (the job queue may set it later)."""

    def __init__(self, root: Services) -> None:
        self.root = root

    @property
    def config(self) -> Config:
        return self.root.config

    @property
    def wakeups(self) -> Wakeups:
        return self.root.wakeups

    def now(self) -> datetime:
        return self.root.clock.now()

    def uow(self) -> UnitOfWork:
        return self.root.uow_factory()

    def reading(self) -> UnitOfWork:
        """For a call that only reads: no write lock taken on SQLite, so it never queues behind writers.

        A change's view (the redrawn keyboard, the hours) is read with it after the commit, so the
        write transaction holds SQLite's one write lock, or a row lock, for the writes alone.
        """
        return self.root.uow_factory.reading()

    async def person(self, uow: UnitOfWork, by: Actor, language_code: str | None = None) -> Person:
        return await resolve_person(uow, self.config, by, language_code)

    def require_coordinator(self, by: Actor | None) -> None:
        """Coordinators only (the configuration's list); ``None`` is Tandem itself (automatic
        confirmation, the command line), which may do what a coordinator may."""
        if by is not None and self.config.programme.coordinator(by) is None:
            raise user_error(PermissionDeniedError, "Only the programme's coordinators may do this.")

    async def city_to_manage(self, uow: UnitOfWork, by: Actor, city_id: int | None = None) -> tuple[Person, City]:
        """The city ``by`` may change: their own (contacts), or the one named or acted for (coordinators).

        Checked on every call, not only when a button is shown: a button kept from before someone
        lost their role, or pressed for another city, changes nothing.
        """
        person = await self.person(uow, by)
        if person.is_coordinator:
            wanted = city_id if city_id is not None else person.acting_city_id
            if wanted is None:
                raise user_error(
                    PermissionDeniedError, "Choose the city you act for first: /act <city>."
                )
            city = await uow.cities.get(wanted)
            if city is None:
                raise user_error(PermissionDeniedError, "That city no longer exists.")
            return person, city
        if person.role is Role.CONTACT and person.city is not None:
            if city_id is not None and city_id != person.city.id:
                raise user_error(PermissionDeniedError, "This button belongs to another city; it changes nothing for you.")
            return person, person.city
        if person.role is Role.PARTICIPANT:
            raise user_error(
                PermissionDeniedError, "Only your city's contact may change its topics, hours and days away."
            )
        raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")

    async def awaited_text(self, uow: UnitOfWork, by: Actor, step: str, key: str, not_waiting: str) -> Payload:
        """What the bot noted when it asked ``by`` for the free text of ``step`` (``key`` among it).

        Raises ``InvalidInputError`` with the msgid ``not_waiting`` when it was not waiting for it
        (the step was cancelled, or the text came from the web, where there are no steps).
        """
        person = await self.person(uow, by)
        payload = person.step_payload or {}
        if person.waiting_for != step or key not in payload:
            raise user_error(InvalidInputError, not_waiting)
        return payload

    async def wait(self, uow: UnitOfWork, by: Actor, step: str | None, payload: Payload | None = None) -> None:
        """Remember inside ``uow`` which free text ``by`` is expected to send next (None: nothing).

        Only the chat waits for free text; a contact on the web sends each answer with its form.
        """
        if by.telegram_user_id is None:
            return
        conversation = await uow.conversations.get(by.telegram_user_id)
        await uow.conversations.save(replace(conversation, step=step, payload=payload), now_utc=self.now())
