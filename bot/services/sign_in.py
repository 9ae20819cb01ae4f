"""Signing in to the web app without a password: personal links by e-mail, and Telegram's Mini App.

A sign-in link is ``<base_url>/sign-in/<token>``: 32 random bytes (``secrets``, URL-safe), of which
only the SHA-256 is stored, so reading the database signs nobody in. A link works once
(a conditional update decides when two tabs open it at once) and until ``[web] link_ttl``.

Links are made when they are sent: every e-mail to a person carries a fresh one, and the sign-in
page queues one to an address on request. That request never says whether the address is known
(the same answer, the same work for the caller), and one address gets at most
``[web] links_per_address_per_hour`` links an hour, counted in the database so that several
processes share the limit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from bot.config import Config
from bot.domain import Actor, Channel, Contact, InvalidInputError, OutgoingMessage, PermissionDeniedError
from bot.i18n import Place, format_instant, gettext
from bot.mini_app import verify_init_data
from bot.notifications import Notification, Queued, RenderContext, queue, renderer
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.people_model import Person

log = logging.getLogger(__name__)

SIGN_IN_LINK_KIND = "sign_in_link"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def sign_in_url(config: Config, token: str) -> str:
    return f"{config.web.public_url}/sign-in/{token}"


async def issue_link(uow: object, config: Config, now_utc: datetime, contact_id: int) -> tuple[str, datetime]:
    """A new personal link for ``contact_id`` inside the caller's unit of work: (url, expiry)."""
    token = secrets.token_urlsafe(32)
    expires = now_utc + config.web.link_ttl
    await uow.sign_in_links.add(token_hash=hash_token(token), contact_id=contact_id, now_utc=now_utc, expires_utc=expires)  # type: ignore[attr-defined]
    return sign_in_url(config, token), expires


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
                item = Queued(
                    kind=SIGN_IN_LINK_KIND, contact_id=contact.id, due_utc=now, channel=Channel.EMAIL,
                    dedupe_key=f"{SIGN_IN_LINK_KIND}:{contact.id}:{now.isoformat()}:{secrets.token_hex(4)}",
                )
                queued = await queue(uow, item) is not None or queued
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


async def with_sign_in_link(ctx: RenderContext, recipient: Contact, notification: Notification) -> Notification:
    """The e-mail with the recipient's personal sign-in link added below its text (web app on only).

    Added where every e-mail passes (the delivery service, after rendering), so no kind of e-mail
    can be without it; the link is made now, so it is fresh when it arrives. The calendar part of
    an invitation is left byte for byte as it was.
    """
    config: Config = ctx.config
    email = notification.email
    if not config.web.enabled or email is None:
        return notification
    body = email.get_body(("plain",))
    if body is None:
        return notification
    url, expires = await issue_link(ctx.uow, config, ctx.now_utc, recipient.id)
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone = city.timezone if city is not None else config.programme.timezone
    language = recipient.language
    footer = "\n".join([
        "",
        "-- ",
        gettext(language, "Your page in {programme} (hours, topics, partners, sessions; no Telegram needed):", programme=config.programme.name),
        url,
        gettext(language, "This personal link signs you in once, until {when}; the sign-in page sends you a new one.",
                when=format_instant(expires, zone, language, [Place.of(city)] if city else ())),
    ])
    body.set_content(str(body.get_content()).rstrip("\n") + "\n" + footer + "\n", charset="utf-8", cte="base64")
    return notification


@renderer(SIGN_IN_LINK_KIND)
async def render_sign_in_link(ctx: RenderContext, recipient: Contact, message: OutgoingMessage) -> Notification | None:
    """The e-mail with a personal sign-in link, made now (only its hash is stored)."""
    from bot.email import build_text_email

    if message.channel is not Channel.EMAIL or not recipient.email:
        return None
    config: Config = ctx.config
    url, expires = await issue_link(ctx.uow, config, ctx.now_utc, recipient.id)
    language = recipient.language
    city = await ctx.uow.cities.get(recipient.city_id) if recipient.city_id is not None else None
    zone = city.timezone if city is not None else config.programme.timezone
    body = "\n\n".join(
        [
            gettext(language, "Hello {name},", name=recipient.display_name),
            gettext(language, "Open this link to sign in to {programme}:", programme=config.programme.name),
            url,
            gettext(language, "The link works once, until {when}. If you did not ask for it, you can ignore this e-mail.",
                    when=format_instant(expires, zone, language, [Place.of(city)] if city else ())),
        ]
    )
    email = build_text_email(
        sender_name=config.programme.organizer_name, sender_email=config.email.sender or config.programme.organizer_email,
        recipient_name=recipient.display_name, recipient_email=recipient.email,
        subject=gettext(language, "Your sign-in link for {programme}", programme=config.programme.name), body=body + "\n",
        date_utc=ctx.now_utc,
    )
    return Notification(text=body, email=email)


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
