"""From a match to a session and back: planned, confirmed (first tap wins), invited, moved, cancelled.

Panjin (Asia/Shanghai) and Lisbon (Europe/Lisbon) overlap only once Europe's clocks have changed
(28 March 2027): 08:30-09:30 UTC, one hour a working day. The clock starts on Monday 22 March.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest

from bot import callback_data
from bot.config import RemindersConfig, SchedulingConfig
from bot.domain import SessionStatus
from offline_bot_api import FakeUser, SentMessage
from tests.conversation.harness import COORDINATOR_ID, Harness, invite_code, start_harness, stop_harness

TOURISM = {"en": "Tourism planning", "zh": "旅游规划", "de": "Tourismusplanung"}
EU_CLOCK_CHANGE = datetime(2027, 3, 28, 1, 0, tzinfo=timezone.utc)

# The first slot (08:30 UTC on Monday 29 March, the first working day of EU summer time) as the
# coordinator (programme zone Europe/Berlin) sees it on a button: short, without year and offsets.
FIRST_SLOT = {
    "en": "Mon 29 Mar, 10:30 Berlin · 16:30 Panjin · 09:30 Lisbon",
    "de": "Mo., 29. März, 10:30 Berlin · 16:30 Panjin · 09:30 Lisbon",
    "zh": "3月29日 星期一 10:30 柏林 · 16:30 Panjin · 09:30 Lisbon",
}
# The texts of the chat, written out per language (not rebuilt with the catalogs under test).
TEXTS = {
    "en": {
        "Confirmed.": "Confirmed. Invitations are on their way.", "Already confirmed by Ana.": "Already confirmed by Ana.",
        "attend": "✅ I'll attend", "cannot attend": "❌ I can't attend", "invited": "You are invited to a session:",
        "Move": "Move", "Moved.": "Moved. Updated invitations are on their way.", "Cancel": "Cancel", "Cancelled.": "Cancelled. Everyone is told.",
    },
    "zh": {
        "Confirmed.": "已确认。邀请正在发送。", "Already confirmed by Ana.": "已由 Ana 确认。",
        "attend": "✅ 我将参加", "cannot attend": "❌ 我无法参加", "invited": "您受邀参加一次会议：",
        "Move": "改期", "Moved.": "已改期。更新的邀请正在发送。", "Cancel": "取消", "Cancelled.": "已取消。已通知所有人。",
    },
    "de": {
        "Confirmed.": "Bestätigt. Die Einladungen sind unterwegs.", "Already confirmed by Ana.": "Bereits von Ana bestätigt.",
        "attend": "✅ Ich nehme teil", "cannot attend": "❌ Ich kann nicht teilnehmen", "invited": "Sie sind zu einer Sitzung eingeladen:",
        "Move": "Verschieben", "Moved.": "Verschoben. Die aktualisierten Einladungen sind unterwegs.", "Cancel": "Absagen",
        "Cancelled.": "Abgesagt. Alle werden informiert.",
    },
}
MIGUEL_CANNOT_ATTEND = {
    "en": "Miguel cannot attend the session Panjin – Lisbon on Mon 29 Mar 2027, 10:30 Berlin (UTC+2) · 16:30 Panjin (UTC+8) · 09:30 Lisbon (UTC+1).",
    "de": "Miguel kann an der Sitzung Panjin – Lisbon am Mo., 29. März 2027, 10:30 Berlin (UTC+2) · 16:30 Panjin (UTC+8) · 09:30 Lisbon (UTC+1) nicht teilnehmen.",
    "zh": "Miguel 无法参加 2027年3月29日 星期一 10:30 柏林（UTC+2） · 16:30 Panjin（UTC+8） · 09:30 Lisbon（UTC+1） 的 Panjin – Lisbon 会议。",
}


async def join(h: Harness, coordinator: FakeUser, person: FakeUser, city: str, hours: str) -> None:
    [link] = await h.send(coordinator, f"/invite {city}")
    await h.send(person, f"/start {invite_code(link.text)}")
    await h.send(person, f"/hours {hours}")
    [keyboard] = await h.send(person, "/topics")
    button = next(b for row in keyboard.buttons for b in row if b.text.endswith(TOURISM[person.language_code]))
    await h.tap(person, keyboard, button.callback_data)


async def panjin_and_lisbon_join(h: Harness, coordinator: FakeUser, li: FakeUser, miguel: FakeUser) -> None:
    """The coordinator adds both cities; Li Wei joins for Panjin and Miguel for Lisbon, both choose tourism."""
    await h.send(coordinator, "/start")
    await h.send(coordinator, "/addcity Panjin; CN; Asia/Shanghai; China")
    await h.send(coordinator, "/addcity Lisbon; PT; Europe/Lisbon; EU")
    await join(h, coordinator, li, "Panjin", "Mon-Fri 08:30-11:30, 13:30-17:30")
    await join(h, coordinator, miguel, "Lisbon", "Mon-Fri 09:30-12:30, 14:00-18:00")


def calendars(h: Harness, person: FakeUser) -> list[icalendar.Calendar]:
    return [icalendar.Calendar.from_ical(m.document.content) for m in h.api.sent_to(person) if m.document and m.document.file_name.endswith(".ics")]


def proposal(h: Harness, coordinator: FakeUser) -> SentMessage:
    [message] = [m for m in h.api.sent_to(coordinator) if m.buttons and callback_data.CONFIRM_SLOT.matches(m.buttons[0][0].callback_data)]
    return message


@pytest.mark.parametrize("language", ["en", "zh", "de"])
async def test_a_match_is_planned_confirmed_invited_moved_and_cancelled(tmp_path: Path, language: str) -> None:
    """Everyone speaks ``language``, except Li Wei, who reads Chinese throughout."""
    h = await start_harness(tmp_path)
    _ = TEXTS[language].__getitem__
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code=language)
        li = FakeUser(2001, "Li Wei", language_code="zh")
        miguel = FakeUser(7001, "Miguel", language_code=language)
        await panjin_and_lisbon_join(h, coordinator, li, miguel)
        assert await h.deliver() == 2  # the match notices

        report = await h.services.planning.plan_and_notify()
        assert (report.planned, report.unschedulable) == (1, 0)
        assert await h.deliver() == 2  # the proposal, and (once) that China's 2027 holidays are a guess, to the coordinator
        offer = proposal(h, coordinator)
        starts = [callback_data.CONFIRM_SLOT.parse(row[0].callback_data)[1] for row in offer.buttons]
        assert starts and all(start > EU_CLOCK_CHANGE for start in starts)
        # Each button shows the slot in the coordinator's zone first, then in both cities' local times.
        assert offer.buttons[0][0].text == FIRST_SLOT[language]
        chosen = starts[0]
        assert chosen == datetime(2027, 3, 29, 8, 30, tzinfo=timezone.utc)

        await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
        assert h.current(coordinator, offer).text.startswith(_("Confirmed."))
        # A second tap on the same (stale) button confirms nothing more and says who was first.
        await h.tap(coordinator, offer, offer.history[0].buttons[0][0].callback_data)
        assert h.current(coordinator, offer).text.startswith(_("Already confirmed by Ana."))

        assert await h.deliver() == 3  # Li Wei, Miguel and the coordinator
        [li_invite] = calendars(h, li)
        # Li Wei has no address to name as ATTENDEE, so her file is PUBLISH (RFC 5546), by UID.
        assert li_invite["METHOD"] == "PUBLISH" and "ATTENDEE" not in li_invite.walk("VEVENT")[0]
        [event] = li_invite.walk("VEVENT")
        uid = str(event["UID"])
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART").astimezone(timezone.utc) == chosen
        li_text = next(m.text for m in h.api.sent_to(li) if m.document)
        assert "您受邀参加一次会议：" in li_text
        assert "\n时间：2027年3月29日 星期一 16:30 Panjin（UTC+8） · 09:30 Lisbon（UTC+1）\n时长：60分钟\n" in li_text
        miguel_invite = next(m for m in h.api.sent_to(miguel) if m.document)
        assert miguel_invite.button_texts() == [_("attend"), _("cannot attend")]
        assert miguel_invite.text.startswith(_("invited"))

        # Miguel answers; the coordinator and Panjin are told, Miguel's own city is not.
        await h.tap(miguel, miguel_invite, miguel_invite.button(_("cannot attend")).callback_data)
        assert await h.deliver() == 2
        assert h.api.last_sent_to(coordinator).text == MIGUEL_CANNOT_ATTEND[language]

        # Move: /schedule → Move → the first other time.
        [listed] = await h.send(coordinator, "/schedule")
        await h.tap(coordinator, listed, listed.button(_("Move")).callback_data)
        options = h.current(coordinator, listed)
        new_start = callback_data.RESCHEDULE_TO.parse(options.buttons[0][0].callback_data)[2]
        assert new_start != chosen
        await h.tap(coordinator, options, options.buttons[0][0].callback_data)
        assert h.current(coordinator, listed).text.startswith(_("Moved."))
        assert await h.deliver() == 3
        update = calendars(h, li)[-1]
        [moved] = update.walk("VEVENT")
        assert (str(moved["UID"]), int(moved["SEQUENCE"]), update["METHOD"]) == (uid, 1, "PUBLISH")
        assert moved.decoded("DTSTART").astimezone(timezone.utc) == new_start

        # The 24-hour reminders follow the new time, not the old one.
        h.clock.set(new_start - timedelta(hours=24))
        assert await h.deliver() == 3
        assert "Lisbon" in h.api.last_sent_to(li).text

        # Cancel with a reason: STATUS:CANCELLED to everyone (PUBLISH: nobody here has an address),
        # and the 1-hour reminders never come.
        [listed] = await h.send(coordinator, "/schedule")
        await h.tap(coordinator, listed, listed.button(_("Cancel")).callback_data)
        [done] = await h.send(coordinator, "Typhoon warning in Panjin")
        assert done.text.startswith(_("Cancelled."))
        assert await h.deliver() == 3
        cancellation = calendars(h, miguel)[-1]
        [cancelled] = cancellation.walk("VEVENT")
        assert cancellation["METHOD"] == "PUBLISH" and str(cancelled["STATUS"]) == "CANCELLED"
        assert (str(cancelled["UID"]), int(cancelled["SEQUENCE"])) == (uid, 2)
        assert "Typhoon warning in Panjin" in h.api.last_sent_to(miguel).text
        h.clock.set(new_start - timedelta(minutes=59))
        assert await h.deliver() == 0
    finally:
        await stop_harness(h)


async def test_a_city_contact_cannot_confirm_even_with_a_coordinators_button(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
        li = FakeUser(2001, "Li Wei", language_code="en")
        miguel = FakeUser(7001, "Miguel", language_code="en")
        await panjin_and_lisbon_join(h, coordinator, li, miguel)
        await h.services.planning.plan_and_notify()
        await h.deliver()
        data = proposal(h, coordinator).buttons[0][0].callback_data
        # Li Wei forges the coordinator's button data on a message of her own.
        [own] = await h.send(li, "/help")
        answer = await h.tap(li, own, data)
        assert answer is not None and answer.get("show_alert") and "coordinators" in answer["text"]
        async with h.services.uow_factory() as uow:
            assert await uow.sessions.views(statuses=[SessionStatus.CONFIRMED]) == []
        [nothing] = await h.send(li, "/pending")
        assert "coordinators" in nothing.text
    finally:
        await stop_harness(h)


async def test_a_planning_run_is_scheduled_at_start_so_nothing_waits_for_the_first_interval(tmp_path: Path) -> None:
    from handlers.jobs import PLANNING_JOB

    h = await start_harness(tmp_path)
    try:
        assert len(h.application.job_queue.get_jobs_by_name(PLANNING_JOB)) == 1  # type: ignore[attr-defined]
    finally:
        await stop_harness(h)


async def test_after_the_session_the_contacts_report_and_the_roadmap_keeps_their_next_steps(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
        li = FakeUser(2001, "Li Wei", language_code="zh")
        miguel = FakeUser(7001, "Miguel", language_code="en")
        await panjin_and_lisbon_join(h, coordinator, li, miguel)
        await h.services.planning.plan_and_notify()
        await h.deliver()
        offer = proposal(h, coordinator)
        start = callback_data.CONFIRM_SLOT.parse(offer.buttons[0][0].callback_data)[1]
        await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
        await h.deliver()
        follow_ups = lambda user: [m for m in h.api.sent_to(user) if m.buttons and callback_data.FOLLOW_UP.matches(m.buttons[0][0].callback_data)]  # noqa: E731
        h.clock.set(start + timedelta(minutes=89))  # the session ended at +60; asked at +90
        await h.deliver()
        assert follow_ups(li) == [] and follow_ups(miguel) == []
        h.clock.set(start + timedelta(minutes=90))
        await h.deliver()
        [question] = follow_ups(li)
        assert question.text.startswith("Panjin – Lisbon") and "会谈举行了吗" in question.text
        assert len(follow_ups(miguel)) == 1 and follow_ups(coordinator) == []

        # Someone from neither city cannot answer for them, even with the right button data.
        stranger = FakeUser(9999, "Mallory", language_code="en")
        [own] = await h.send(stranger, "/help")
        answer = await h.tap(stranger, own, question.buttons[0][0].callback_data)
        assert answer is not None and answer.get("show_alert")

        await h.tap(li, question, question.button("✅ 已举行").callback_data)
        assert h.api.last_sent_to(li).text == "谢谢。下一步计划是什么？请用一条消息发送（或 /cancel）。"
        [noted] = await h.send(li, "Exchange of wetland experts in May")
        assert noted.text == "已记入项目路线图。谢谢！"
        [roadmap] = await h.send(coordinator, "/roadmap")
        assert "Panjin (Li Wei): took place" in roadmap.text and "Next steps: Exchange of wetland experts in May" in roadmap.text
    finally:
        await stop_harness(h)


async def test_the_calendar_alarms_ring_when_the_bots_reminders_arrive(tmp_path: Path) -> None:
    """[reminders] offsets = ["2m", "1m"] and 10-minute sessions: the invite carries exactly these
    two alarms (not a fixed 15 minutes), and each reminder is sent at its alarm's instant."""
    offsets = (timedelta(minutes=2), timedelta(minutes=1))
    h = await start_harness(tmp_path, reminders=RemindersConfig(offsets=offsets),
                            scheduling=SchedulingConfig(duration=timedelta(minutes=10)))
    try:
        coordinator = FakeUser(COORDINATOR_ID, "Ana", language_code="en")
        li = FakeUser(2001, "Li Wei", language_code="zh")
        miguel = FakeUser(7001, "Miguel", language_code="en")
        await panjin_and_lisbon_join(h, coordinator, li, miguel)
        await h.services.planning.plan_and_notify()
        await h.deliver()
        offer = proposal(h, coordinator)
        await h.tap(coordinator, offer, offer.buttons[0][0].callback_data)
        assert await h.deliver() == 3
        [invite] = calendars(h, miguel)
        [event] = invite.walk("VEVENT")
        start = event.decoded("DTSTART").astimezone(timezone.utc)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=10)
        triggers = [line for line in next(m for m in h.api.sent_to(miguel) if m.document).document.content.split(b"\r\n")
                    if line.startswith(b"TRIGGER")]
        assert triggers == [b"TRIGGER:-PT2M", b"TRIGGER:-PT1M"]
        alarms = [start + alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
        for alarm in alarms:
            h.clock.set(alarm - timedelta(seconds=1))
            assert await h.deliver() == 0
            h.clock.set(alarm)
            assert await h.deliver() == 3  # Li Wei, Miguel and the coordinator, as the alarm rings
    finally:
        await stop_harness(h)
