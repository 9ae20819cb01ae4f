"""Every e-mail Tandem sends a person carries their personal sign-in link; the calendar part stays as it was."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar

from bot.domain import Actor, Attendance, Channel, MatchStatus, NoticeKind, OutboxStatus, OutgoingMessage, SessionStatus
from bot.notices import RENDERERS, RenderContext
from tests.web.support import PANJIN_EMAIL, Programme, WebClient, confirmed_session, deliver_mails, make_programme, web_config
from web.app import create_app

LINK = re.compile(r"http://127\.0\.0\.1:8080/sign-in/[A-Za-z0-9_-]{43}")


def mails_to(raw: list[bytes], address: str) -> list[EmailMessage]:
    mails = [message_from_bytes(m, policy=policy.default) for m in raw]
    return [m for m in mails if m["To"].addresses[0].addr_spec == address]  # type: ignore[misc]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_match_notices_invitations_and_reminders_by_e_mail_each_carry_a_link_that_signs_in(database_url: str, uow_factory: object) -> None:
    programme = await make_programme(web_config(database_url, email=True), uow_factory)  # type: ignore[arg-type]
    notices: list[bytes] = []

    async def send_the_match_notice() -> None:
        notices.extend(await deliver_mails(programme))

    await confirmed_session(programme, between=send_the_match_notice)
    # The coordinator confirmed: the invitation is due now.
    sent = mails_to(notices + await deliver_mails(programme), PANJIN_EMAIL)
    kinds = {m["Subject"] for m in sent}
    assert len(sent) >= 2 and any("Invitation" in s for s in kinds) and any("New partner" in s for s in kinds), kinds
    links = [LINK.findall(text_of(m)) for m in sent]
    assert all(len(found) == 1 for found in links), links
    assert len({found[0] for found in links}) == len(sent)  # one fresh link per e-mail
    invitation = next(m for m in sent if "Invitation" in str(m["Subject"]))
    calendar_part = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    assert "sign-in" not in str(calendar_part.get_content())
    icalendar.Calendar.from_ical(calendar_part.get_content())  # still a valid iTIP file
    # Any one of them signs Wang Fang in (once).
    services = programme.services
    fresh = WebClient(create_app(services.config, lambda: services, bot_token="0:x"))
    try:
        link = LINK.findall(text_of(sent[-1]))[0]
        await fresh.sign_in_with(link)
        assert "Wang Fang" in (await fresh.get("/")).text
    finally:
        await fresh.aclose()
    # The reminder a day before comes with a link too.
    async with programme.services.uow_factory() as uow:
        [view] = await uow.sessions.views(statuses=[SessionStatus.CONFIRMED])
    programme.clock.set(view.session.start_utc - programme.services.config.reminders.offsets[0])
    reminders = mails_to(await deliver_mails(programme), PANJIN_EMAIL)
    assert reminders and all(len(LINK.findall(text_of(m))) == 1 for m in reminders)


async def test_without_the_web_app_no_link_is_added(database_url: str, uow_factory: object) -> None:
    config = web_config(database_url, email=True)
    config = replace(config, web=replace(config.web, enabled=False))
    programme: Programme = await make_programme(config, uow_factory)  # type: ignore[arg-type]
    sent_first: list[bytes] = []

    async def send() -> None:
        sent_first.extend(await deliver_mails(programme))

    await confirmed_session(programme, between=send)
    sent = mails_to(sent_first + await deliver_mails(programme), PANJIN_EMAIL)
    assert sent and all("/sign-in/" not in text_of(m) for m in sent)
    async with programme.services.uow_factory() as uow:
        assert await uow.sign_in_links.count_since(programme.wang_fang, programme.clock.now().replace(year=2000)) == 0


async def test_the_link_is_in_the_readers_language(database_url: str, uow_factory: object) -> None:
    programme = await make_programme(web_config(database_url, email=True), uow_factory)  # type: ignore[arg-type]
    await programme.services.people.set_language(by=Actor.contact(programme.wang_fang), language="zh")
    await confirmed_session(programme)
    [first, *_] = mails_to(await deliver_mails(programme), PANJIN_EMAIL)
    assert "无需 Telegram" in text_of(first)


async def test_every_kind_of_e_mail_ends_with_one_fresh_sign_in_link_and_the_sign_in_e_mail_is_that_link(database_url: str, uow_factory: object) -> None:
    """Each renderer of the notices table, through the e-mail channel, to the e-mail-only Panjin contact.

    The link is added where every e-mail is assembled (bot.notices.rendering), so a kind added to
    the table gets it too; this test lists every kind, so a new one must be added here.
    """
    programme = await make_programme(web_config(database_url), uow_factory)  # type: ignore[arg-type]
    services, now = programme.services, programme.clock.now()
    match_id, session_id = await confirmed_session(programme)  # Panjin – Hamburg, on wetlands
    async with services.uow_factory() as uow:
        topics = {t.key: t.id for t in await uow.topics.list()}
        planned = await uow.matches.create(programme.panjin, programme.lisbon, topics["tourism"], now)
        unschedulable = await uow.matches.create(programme.panjin, programme.lisbon, topics["agriculture"], now)
        assert planned is not None and unschedulable is not None
        await uow.matches.transition(planned.id, [MatchStatus.OPEN], MatchStatus.PLANNED, now)
        await uow.matches.set_proposals(planned.id, [(now + timedelta(days=7), 1.0)])
        await uow.matches.transition(unschedulable.id, [MatchStatus.OPEN], MatchStatus.UNSCHEDULABLE, now)
        await uow.contacts.mark_unreachable(programme.lisbon_contact)
        nobody = await uow.cities.add(name="Rome", country="IT", timezone="Europe/Rome", group="EU", now_utc=now)
        wang = await uow.contacts.get(programme.wang_fang)
        await uow.commit()
    assert wang is not None and wang.email == PANJIN_EMAIL
    session = {"session_id": session_id, "sequence": 0}
    payloads: dict[NoticeKind, dict[str, object]] = {
        NoticeKind.MATCH_NOTICE: {"match_id": planned.id},
        NoticeKind.MATCH_ENDED: {"match_id": match_id, "by_city_id": programme.hamburg, "why": "declined"},
        NoticeKind.PLANNED_MATCH: {"match_id": planned.id},
        NoticeKind.UNSCHEDULABLE_MATCH: {"match_id": unschedulable.id},
        NoticeKind.PLANNING_DIGEST: {"planned": str(planned.id), "unschedulable": str(unschedulable.id)},
        NoticeKind.INVITATION: session,
        NoticeKind.UPDATE: session,
        NoticeKind.CANCELLATION: session,
        NoticeKind.ATTENDANCE: {"session_id": session_id, "who": programme.hamburg_contact, "answer": Attendance.YES.value},
        NoticeKind.REMINDER: {**session, "offset_seconds": 3600},
        NoticeKind.FOLLOW_UP: session,
        NoticeKind.CONTACT_UNREACHABLE: {"contact_id": programme.lisbon_contact},
        NoticeKind.CITY_UNREACHABLE: {"city_id": nobody.id},
        NoticeKind.SIGN_IN_LINK: {},
        NoticeKind.SESSION_ON_DAY_OFF: {
            **session, "city_id": programme.panjin, "day": now.date().isoformat(), "name": "Official day off",
            "move_to": (now + timedelta(days=8)).isoformat(),
        },
        NoticeKind.CALENDAR_GUESS: {"country": "CN", "year": 2027, "city_ids": [programme.panjin], "start": "2027-03-22"},
        NoticeKind.COUNTER_PROPOSAL: {**session, "who": programme.hamburg_contact, "start_utc": (now + timedelta(days=9)).isoformat(), "comment": "Later?"},
        NoticeKind.COUNTER_DECLINED: session,
        NoticeKind.MAIL_FORWARDED: {"who": programme.hamburg_contact, "subject": "Re: Invitation", "text": "We will be there."},
    }
    assert set(payloads) == set(NoticeKind) == set(RENDERERS)

    links = []
    for kind, payload in payloads.items():
        message = OutgoingMessage(0, kind.value, Channel.EMAIL, wang.id, now, OutboxStatus.CLAIMED, payload)
        async with services.uow_factory() as uow:
            notification = await RENDERERS[kind](RenderContext(uow, services.config, now), wang, message)
            await uow.commit()
        assert notification is not None and notification.email is not None, kind
        text = text_of(notification.email)
        [link] = LINK.findall(text)
        if kind is not NoticeKind.SIGN_IN_LINK:  # below the message, after the signature line
            assert link in text.rsplit("\n-- \n", 1)[1], (kind, text)
        if kind.carries_calendar:
            calendar_part = next(p for p in notification.email.walk() if p.get_content_type() == "text/calendar")
            assert "sign-in" not in str(calendar_part.get_content())
            icalendar.Calendar.from_ical(calendar_part.get_content())
        links.append(link)
    assert len(set(links)) == len(payloads)  # a fresh link in each
    for link in links:  # each signs Wang Fang in, once
        token = link.rsplit("/", 1)[1]
        assert await services.sign_in.redeem(token=token) == Actor.contact(wang.id)
