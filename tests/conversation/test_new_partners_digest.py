"""A contact whose city gets many partners at once gets one message, not one per partner: a
digest they page through, a decline button for each partner; the partners still get one each.

The worst input: twenty partners with names as long as a city name may be (120 characters) and
notes as long as a note may be (500), so every page and every button is at Telegram's limits.
"""

from __future__ import annotations

from pathlib import Path

from bot import callback_data
from bot.domain import MatchStatus, OutboxStatus, Role
from bot.services.interests import MAX_NOTE_LENGTH
from offline_bot_api import FakeUser, SentMessage
from tests.conversation.harness import NOW, Harness, start_harness, stop_harness

PANJIN = FakeUser(2000, "Li", language_code="en")
PARTNERS = [FakeUser(3000 + i, f"Partner {i}", language_code="en") for i in range(20)]
LONGEST_NAME = 120  # what /addcity and /editcity accept
TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64


async def programme_with_twenty_partners(h: Harness) -> int:
    """Panjin (no topic yet) and twenty EU cities that chose wetlands, each with a contact in a chat."""
    async with h.services.uow_factory() as uow:
        await uow.topics.sync([(t.key, dict(t.titles)) for t in h.services.config.programme.topics])
        wetlands = next(t.id for t in await uow.topics.list() if t.key == "wetlands")
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        await uow.contacts.add(display_name="Li", role=Role.CONTACT, language="en", now_utc=NOW, city_id=panjin.id, telegram_user_id=PANJIN.id, chat_id=PANJIN.id)
        for i, person in enumerate(PARTNERS):
            name = f"{i:02d} " + "Ü" * (LONGEST_NAME - 3)
            city = await uow.cities.add(name=name, country="DE", timezone="Europe/Berlin", group="EU", now_utc=NOW)
            await uow.contacts.add(display_name=person.first_name, role=Role.CONTACT, language="en", now_utc=NOW, city_id=city.id, telegram_user_id=person.id, chat_id=person.id)
            await uow.interests.add(city.id, wetlands, note="ß" * MAX_NOTE_LENGTH)
        await uow.commit()
    for person in PARTNERS:  # each has a chat with the bot (a bot cannot write first)
        await h.send(person, "/help")
    return int(panjin.id)


def decline_buttons(message: SentMessage) -> list[str]:
    return [b.callback_data for row in message.buttons for b in row if b.callback_data.startswith("nd:")]


async def test_twenty_partners_at_once_are_one_paged_digest_with_a_decline_button_for_each(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        panjin_id = await programme_with_twenty_partners(h)
        [topics] = await h.send(PANJIN, "/topics")
        wetlands = next(b.callback_data for row in topics.buttons for b in row if "wetlands" in b.text.lower())
        await h.tap(PANJIN, topics, wetlands)
        async with h.services.uow_factory() as uow:
            matches = [m for m in await uow.matches.of_city(panjin_id) if m.is_live]
        assert len(matches) == 20
        before = len(h.api.sent_to(PANJIN))
        while await h.deliver():
            pass

        [digest] = h.api.sent_to(PANJIN)[before:]  # one message for twenty partners
        assert digest.text is not None and digest.text.startswith("20 new partner cities for Panjin")
        for person in PARTNERS:  # each partner city hears of Panjin once, as before
            notice = h.api.last_sent_to(person)
            assert notice.text is not None and notice.text.startswith("New partner for")
        async with h.services.uow_factory() as uow:
            rows = [m for m in await uow.outbox.list() if m.kind == "match_notice" and m.contact_id != 0]
        to_panjin = [m for m in rows if m.payload.get("matches")]
        assert len(to_panjin) == 1 and sorted(map(int, str(to_panjin[0].payload["matches"]).split())) == sorted(m.id for m in matches)
        folded = [m for m in rows if m.status is OutboxStatus.DROPPED]
        assert len(folded) == 19 and {m.id for m in rows if m.status is OutboxStatus.SENT} >= {to_panjin[0].id}

        # Page through: every partner once, every page and button within Telegram's limits.
        declinable: list[str] = []
        pages: list[SentMessage] = []
        current = digest
        while True:
            pages.append(current)
            assert current.text is not None and len(current.text.encode("utf-16-le")) // 2 <= TELEGRAM_TEXT_LIMIT
            assert all(len(b.callback_data.encode()) <= CALLBACK_DATA_LIMIT for row in current.buttons for b in row)
            declinable += decline_buttons(current)
            forward = [b for row in current.buttons for b in row if b.text == "›"]
            if not forward:
                break
            await h.tap(PANJIN, current, forward[0].callback_data)
            current = h.current(PANJIN, digest)
        assert len(pages) == 3  # 8 + 8 + 4
        assert sorted(callback_data.DECLINE_PARTNER.parse(d).match_id for d in declinable) == sorted(m.id for m in matches)

        # Decline one partner from the last page: the match ends, that partner is told, the page shows it.
        data = declinable[-1]
        _, match_id, page = callback_data.DECLINE_PARTNER.parse(data)
        answer = await h.tap(PANJIN, current, data)
        assert answer is not None and "You declined the meeting with" in str(answer.get("text"))
        shown = h.current(PANJIN, digest)
        assert data not in decline_buttons(shown) and len(decline_buttons(shown)) == 3 and "(no longer open)" in (shown.text or "")
        async with h.services.uow_factory() as uow:
            declined = await uow.matches.get(match_id)
            assert declined is not None and declined.status is MatchStatus.DECLINED
            partner_city = declined.partner_of(panjin_id)
            partner_contact = next(c for c in await uow.contacts.of_city(partner_city))
        await h.deliver()
        told = next(p for p in PARTNERS if p.id == partner_contact.telegram_user_id)
        assert "has declined the meeting" in (h.api.last_sent_to(told).text or "")

        # A double tap changes nothing and says so.
        again = await h.tap(PANJIN, shown, data)
        assert again is not None and "ended already" in str(again.get("text"))

        # Another contact's forged press on Panjin's digest: refused, nothing changes.
        other = PARTNERS[0]
        other_match = next(m for m in matches if m.id != match_id)
        forged = callback_data.DECLINE_PARTNER.build(callback_data.DECLINE_PARTNER.parse(data).message_id, other_match.id, 0)
        refused = await h.tap(other, h.api.last_sent_to(other), forged)
        assert refused is not None and "not valid any more" in str(refused.get("text"))
        # Panjin's own press for a match that is not in its digest: refused as well.
        not_listed = callback_data.DECLINE_PARTNER.build(callback_data.DECLINE_PARTNER.parse(data).message_id, 999_999, 0)
        refused = await h.tap(PANJIN, shown, not_listed)
        assert refused is not None and "not valid any more" in str(refused.get("text"))
        async with h.services.uow_factory() as uow:
            still = await uow.matches.get(other_match.id)
        assert still is not None and still.is_live
    finally:
        await stop_harness(h)


async def test_up_to_three_new_partners_still_come_one_message_each(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        panjin_id = await programme_with_twenty_partners(h)
        async with h.services.uow_factory() as uow:  # only three of the twenty keep wetlands
            wetlands = next(t.id for t in await uow.topics.list() if t.key == "wetlands")
            for city in [c for c in await uow.cities.list() if c.id != panjin_id][3:]:
                await uow.interests.remove(city.id, wetlands)
            await uow.commit()
        [topics] = await h.send(PANJIN, "/topics")
        await h.tap(PANJIN, topics, next(b.callback_data for row in topics.buttons for b in row if "wetlands" in b.text.lower()))
        before = len(h.api.sent_to(PANJIN))
        while await h.deliver():
            pass
        notices = h.api.sent_to(PANJIN)[before:]
        assert len(notices) == 3 and all((m.text or "").startswith("New partner for Panjin") for m in notices)
    finally:
        await stop_harness(h)
