"""Signing in to the web app without a password: personal links by e-mail, and Telegram's Mini App.

A sign-in link is ``<base_url>/sign-in/<token>``: 32 random bytes (``secrets``, URL-safe), of which
only the SHA-256 is stored, so reading the database signs nobody in. A link works once
(a conditional update decides when two tabs open it at once) and until ``[web] link_ttl``.

Links are made when they are sent (``bot.notices.links``): every e-mail to a person carries a
fresh one (``bot.notices.rendering``), and the sign-in page queues one to an address on request. That request never says whether the address is known
(the same answer, the same work for the caller), and one address gets at most
``[web] links_per_address_per_hour`` links an hour, counted in the database so that several
processes share the limit.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from bot.domain import Actor, InvalidInputError, NoticeKind, PermissionDeniedError
from bot.mini_app import verify_init_data
from bot.notices.links import TOKEN_PATTERN, hash_token, issue_link
from bot.notices.outbox import queue_notice
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.people_model import Person

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SignInService(ServiceBase):
    async def request_link(self, *, address: str) -> None:
        """Queue a sign-in e-mail to each person with this address; silent about whether there is one."""
        address = address.strip()
        if len(address) > 254 or not _ADDRESS.fullmatch(address):
            raise user_error(InvalidInputError, "\"{email}\" is not an e-mail address.", email=address[:60])
        now = self.now()
        queued = False
        async with self.uow() as uow:
            for contact in await uow.contacts.by_email(address):
                sent_lately = await uow.sign_in_links.count_since(contact.id, now - timedelta(hours=1))
                if sent_lately >= self.config.web.links_per_address_per_hour:
                    log.info("sign-in link for contact %s not sent: %d sent in the last hour", contact.id, sent_lately)
                    continue
                # By e-mail only (the channel rule for a sign-in link), each request a row of its own.
                key = f"{NoticeKind.SIGN_IN_LINK.value}:{now.isoformat()}:{secrets.token_hex(4)}"
                rows = await queue_notice(
                    uow, NoticeKind.SIGN_IN_LINK, [contact], key=key, due_utc=now, payload={}, email_enabled=self.config.email.enabled,
                )
                queued = bool(rows) or queued
            await uow.commit()
        if queued:
            self.wakeups.outbox_changed(now)

    async def link_for(self, *, contact_id: int) -> str:
        """A fresh sign-in link for one contact (``tandem demo --serve`` prints them; /web sends one)."""
        async with self.uow() as uow:
            if await uow.contacts.get(contact_id) is None:
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            url, _ = await issue_link(uow, self.config, self.now(), contact_id)
            await uow.commit()
            return url

    async def own_link(self, *, by: Actor) -> str:
        """A fresh sign-in link for the person asking (``/web`` in the chat, where no Mini App can open)."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
            if person.contact is None or person.is_stranger:
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            url, _ = await issue_link(uow, self.config, self.now(), person.contact.id)
            await uow.commit()
            return url

    async def redeem(self, *, token: str) -> Actor:
        """Open a sign-in link: who it signs in. Used, expired, forged and unknown links sign in nobody.

        Someone who also uses Telegram (a contact who joined in the chat, a coordinator) is signed in
        as their Telegram self, with the same rights as in the chat; an e-mail-only person as the contact.
        """
        now = self.now()
        async with self.uow() as uow:
            link = await uow.sign_in_links.by_hash(hash_token(token)) if TOKEN_PATTERN.fullmatch(token) else None
            if link is None:
                raise user_error(InvalidInputError, "This sign-in link is not valid. Ask for a new one below.")
            if link.used_utc is not None:
                raise user_error(InvalidInputError, "This sign-in link has been used already. Ask for a new one below.")
            if link.expires_utc <= now:
                raise user_error(InvalidInputError, "This sign-in link has expired. Ask for a new one below.")
            contact = await uow.contacts.get(link.contact_id)
            if contact is None or not await uow.sign_in_links.use(link.id, now_utc=now):
                raise user_error(InvalidInputError, "This sign-in link has been used already. Ask for a new one below.")
            await uow.commit()
            return Actor.telegram(contact.telegram_user_id) if contact.telegram_user_id is not None else Actor.contact(contact.id)

    async def visitor(self, *, by: Actor) -> Person | None:
        """Who is signed in (the web session): None when they are no longer part of the programme."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
        return None if person.is_stranger else person

    async def mini_app(self, *, init_data: str, bot_token: str) -> Actor:
        """The Telegram user who opened the Mini App, if the programme knows them."""
        try:
            user = verify_init_data(init_data, bot_token, now_utc=self.now(), max_age=self.config.web.mini_app_max_age)
        except InvalidInputError as exc:
            log.info("Mini App sign-in refused: %s", exc)
            raise user_error(PermissionDeniedError, "Telegram could not confirm who you are. Please open the app again from the chat.") from None
        async with self.uow() as uow:
            person = await self.person(uow, Actor.telegram(user.telegram_user_id), user.language_code)
        if person.is_stranger:
            raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
        return person.actor


def actor_key(actor: Actor) -> str:
    """How a session cookie names an actor: ``"telegram:<user id>"`` or ``"contact:<id>"``."""
    return f"telegram:{actor.telegram_user_id}" if actor.telegram_user_id is not None else f"contact:{actor.contact_id}"


def actor_from_key(key: str | None) -> Actor | None:
    kind, _, number = (key or "").partition(":")
    if not number.isdigit():
        return None
    if kind == "telegram":
        return Actor.telegram(int(number))
    if kind == "contact":
        return Actor.contact(int(number))
    return None
