"""``tandem demo``: the whole programme, offline, in well under a minute.

The example programme (``scenario.toml``) is played through the real Application, handlers,
services, storage (a SQLite file in the output folder), planner, job queue and invite builder;
only the HTTP calls to Telegram are answered locally (``offline_bot_api``), and e-mail goes to a
local SMTP server (aiosmtpd on 127.0.0.1). The demo's clock starts at the scenario's ``now`` and
jumps forward to each moment something falls due, so reminders go out at their real times.

Like ``tandem/app.py`` and ``tandem/cli.py`` this module is part of the composition root: it sees the
Telegram side (the simulated people, driven by ``offline_bot_api.ChatDriver``) as well as the core.

What happens, in order: the coordinator adds the cities and creates invite links, and enters an
official day off in China that the ``holidays`` package does not know; each city's
contact joins, brings a colleague, sets the city's hours (and days away) and chooses topics;
matches appear and both sides are told; the planning job proposes times; the coordinator confirms
every match with one tap; invitations go out by Telegram (and by e-mail to an e-mail-only
contact in Panjin, where Telegram is blocked); participants answer; one session is moved and one
cancelled; the e-mail-only contact in Panjin declines one session from her calendar (its iTIP
REPLY lands in a local Maildir, read by the same reader ``tandem run`` runs on IMAP), and the
coordinators hear of it; the clock runs to the end of the horizon and the reminders go out; afterwards each
city's contact says how its first session went and what comes next, and the coordinator reads
the programme's roadmap.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import socket
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from mailbox import Maildir
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import icalendar

from bot import callback_data
from bot.clock import ManualClock
from bot.config import DatabaseConfig, EmailConfig, Secret, TelegramConfig, WebConfig
from bot.domain import Role, SessionStatus
from bot.i18n import Place, format_instant
from bot.mailboxes import MaildirMailbox
from bot.services import Services
from bot.services.delivery import DeliveryService
from handlers.jobs import PLANNING_JOB
from handlers.rate_limit import TelegramRateLimiter
from offline_bot_api import ChatDriver, FakeBotApi, FakeUser, OfflineRequest, SentMessage
from storage.db import upgrade_async
from tandem.app import SERVICES_KEY, build_application
from tandem.demo.scenario import EMBEDDED, Scenario, ScenarioCity, load_scenario
from tandem.server import build_server, listening_socket

EMAIL_ONLY_CONTACT = ("Panjin", "Wang Fang", "wang.fang@panjin.example.cn")
# An official day off in China that the ``holidays`` package does not know (an example: a notice
# published after its release). The coordinator enters it before planning; without it the planner
# puts two of Panjin's sessions on that Wednesday.
OFFICIAL_DAY_OFF = ("CN", date(2027, 3, 31), "Official day off (example of a late government notice)")


@dataclass
class DemoResult:
    """What the demo did, for the summary and for the test that checks the scenario's facts."""

    out_dir: Path
    sessions: list[dict[str, Any]] = field(default_factory=list)
    matches_planned: int = 0
    matches_confirmed: int = 0
    rescheduled_uid: str | None = None
    cancelled_uid: str | None = None
    ics_files: list[Path] = field(default_factory=list)
    emails: int = 0
    eml_files: list[Path] = field(default_factory=list)
    web_actions: list[str] = field(default_factory=list)  # what the e-mail-only contact did on the pages
    sign_in_links: dict[str, str] = field(default_factory=dict)  # --serve: a link per person
    email_subjects: list[tuple[str, str]] = field(default_factory=list)  # (recipient, subject), as sent
    official_day_off: tuple[str, date] | None = None  # (country, date) the coordinator entered
    declined_by_email_uid: str | None = None  # the session the e-mail-only contact declined from her calendar


class Demo:
    def __init__(self, scenario: Scenario, out_dir: Path, stdout: TextIO) -> None:
        self.scenario, self.out_dir, self.stdout = scenario, out_dir, stdout
        self.clock = ManualClock(scenario.now_utc)
        self.api = FakeBotApi(now=self.clock.now, username="tandem_demo_bot")
        self.people: dict[int, FakeUser] = {}
        self.zone_of: dict[int, str] = {}  # Telegram id -> the zone the person reads times in
        self.city_of: dict[int, str] = {}  # Telegram id -> the person's city (contacts and colleagues)
        self.mail: list[bytes] = []
        self.result = DemoResult(out_dir)
        self.application: Any = None
        self.web: Any = None  # tandem.demo.web.WebVisitor: the e-mail-only contact's browser
        self._driver: ChatDriver | None = None  # set once the application is built

    # ------------------------------------------------------------------ the bot and its clock

    @property
    def driver(self) -> ChatDriver:
        assert self._driver is not None, "build the application first"
        return self._driver

    @property
    def delivery(self) -> DeliveryService:
        assert self.services.delivery is not None  # build_application wires it
        return self.services.delivery

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]

    async def say(self, user: FakeUser, text: str) -> list[SentMessage]:
        return await self.driver.send(user, text)

    async def tap(self, user: FakeUser, message: SentMessage, data: str) -> None:
        await self.driver.tap(user, message, data)

    async def _first_pending_slot(self, coordinator: FakeUser) -> tuple[SentMessage, str] | None:
        """/pending, paged with "›" until a match with a slot shows: that message and its best slot's button."""
        answers = await self.say(coordinator, "/pending")  # (a notice delivered meanwhile may come with it)
        listings = [m for m in answers if _buttons(m, callback_data.CONFIRM_SLOT) or _buttons(m, callback_data.PENDING_PAGE)]
        if not listings:
            return None
        listing = listings[-1]
        while True:
            slots = _buttons(listing, callback_data.CONFIRM_SLOT)
            if slots:
                return listing, slots[0]
            turn = [b.callback_data for row in listing.buttons for b in row if b.text == "›" and b.callback_data]
            if not turn:
                return None
            await self.tap(coordinator, listing, turn[0])
            listing = self.driver.current(coordinator, listing)

    async def run_jobs(self) -> None:
        """Let the job queue do what is due on the demo's clock, and wait until it is done.

        The scheduler and the delivery loop run for real; the demo only skips the waiting: a
        debounced planning run starts at once, and a delivery pass runs whenever the demo's clock
        has jumped (the loop sleeps on the real clock).
        """
        queue = self.application.job_queue
        for job in queue.get_jobs_by_name(PLANNING_JOB):
            job.schedule_removal()
            await job.run(self.application)
        while True:
            await self.delivery.deliver_due()
            due = await self.delivery.next_due()
            if due is None or due > self.clock.now():
                return

    # ------------------------------------------------------------------ the story

    async def play(self) -> DemoResult:
        scenario = self.scenario
        coordinator_cfg = scenario.coordinators[0]
        coordinator = self.person(coordinator_cfg.telegram_id, coordinator_cfg.name, coordinator_cfg.language, scenario.programme.timezone)
        await self.say(coordinator, "/start")

        # 1. Cities and invite links.
        links: dict[str, str] = {}
        for city in scenario.cities:
            await self.say(coordinator, f"/addcity {city.name}; {city.country}; {city.timezone}; {city.group}")
            [answer] = await self.say(coordinator, f"/invite {city.name}")
            links[city.name] = _deep_link_code(answer.text or "")
        name, person, address = EMAIL_ONLY_CONTACT
        await self.say(coordinator, f"/addemail {name}; {person}; {address}")
        country, day, reason = OFFICIAL_DAY_OFF
        await self.say(coordinator, f"/holiday {country} {day.isoformat()} off {reason}")
        self.result.official_day_off = (country, day)

        # 2. Contacts join; a colleague joins through the contact's link; hours, days away, topics.
        for city in scenario.cities:
            contact, *colleagues = city.contacts
            user = self.person(contact.telegram_id, contact.name, contact.language, city.timezone, city.name)
            await self.say(user, f"/start {links[city.name]}")
            for colleague in colleagues:
                [answer] = await self.say(user, "/colleague")
                other = self.person(colleague.telegram_id, colleague.name, colleague.language, city.timezone, city.name)
                await self.say(other, f"/start {_deep_link_code(answer.text or '')}")
            if city.name == EMAIL_ONLY_CONTACT[0] and self.web is not None:
                await self.on_the_web(city)  # Panjin's hours and topics come from its e-mail-only contact
            else:
                await self.say(user, f"/hours {city.hours}")
            if city.away:
                await self.say(user, "/away " + ", ".join(d.isoformat() for d in city.away))
            if city.name != EMAIL_ONLY_CONTACT[0] or self.web is None:
                await self.choose_topics(user, city.topics)
        await self.run_jobs()  # match notices out; planning waits for its debounce

        # 3. Both sides accept their partners.
        for user in list(self.people.values()):
            for message in self.api.sent_to(user):
                for row in message.buttons:
                    for button in row:
                        if button.callback_data and callback_data.ACCEPT_MATCH.matches(button.callback_data):
                            await self.tap(user, message, button.callback_data)

        # 4. The planning job proposes (eleven matches: one digest to the coordinator, which pages
        # through them); the coordinator confirms each match with one tap in /pending (one paged
        # message: the tap confirms the best slot of the first match listed, then /pending again).
        await self.run_jobs()
        tapped: set[str] = set()
        while (slot := await self._first_pending_slot(coordinator)) is not None and slot[1] not in tapped:
            await self.tap(coordinator, *slot)
            tapped.add(slot[1])  # a slot that stays pending after its tap would come back: stop there
        self.result.matches_planned = len(tapped)
        await self.run_jobs()  # invitations out

        # 5. Participants answer the invitation.
        for user in list(self.people.values()):
            if user.id == coordinator.id:
                continue
            for message in self.api.sent_to(user):
                attend = _buttons(message, callback_data.ATTEND)
                if attend:
                    await self.tap(user, message, attend[0])  # "I'll attend"
        await self.run_jobs()

        # 6. The coordinator moves the first session and cancels the last one.
        listed = await self.say(coordinator, "/schedule")
        self.result.matches_confirmed = len(listed)
        first, last = listed[0], listed[-1]
        await self.tap(coordinator, first, _buttons(first, callback_data.RESCHEDULE_MENU)[0])
        options = self.driver.current(coordinator, first)
        moves = _buttons(options, callback_data.RESCHEDULE_TO)
        if moves:
            await self.tap(coordinator, options, moves[0])
        await self.tap(coordinator, last, _buttons(last, callback_data.CANCEL_SESSION)[0])
        await self.say(coordinator, "The partner city's delegation is travelling that week; we will plan again.")
        await self.run_jobs()

        # 6b. Wang Fang (e-mail only) declines one session in her calendar: the REPLY reaches the
        # programme's mailbox, Tandem reads it, and the coordinator and the partner city are told.
        await self.decline_from_the_calendar()
        await self.run_jobs()

        # 7. The clock runs to the end of the horizon; reminders go out when they fall due.
        end = scenario.now_utc + scenario.scheduling.horizon + timedelta(days=1)
        while True:
            due = await self.delivery.next_due()
            if due is None or due > end:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.run_jobs()

        # 8. Afterwards: each city's contact reports on its first session; the roadmap keeps it.
        for city in scenario.cities:
            user = self.people[city.contacts[0].telegram_id]
            for message in self.api.sent_to(user):
                follow_up = _buttons(message, callback_data.FOLLOW_UP)
                if follow_up:
                    await self.tap(user, message, follow_up[0])  # it took place
                    await self.say(user, f"{city.name}: exchange of experts and a study visit before the Rural Development Expo")
                    break
        await self.say(coordinator, "/roadmap")
        await self.collect()
        return self.result

    async def decline_from_the_calendar(self) -> None:
        """Wang Fang's calendar answers the newest invitation she got by e-mail with Decline.

        Her calendar sends an iTIP REPLY to the organizer; it is delivered to the programme's
        mailbox, here a Maildir under the output folder (the demo has no IMAP server), and read by
        the same reader and service as ``tandem run``'s IMAP mailbox.
        """
        _, _, address = EMAIL_ONLY_CONTACT
        async with self.services.uow_factory() as uow:
            for raw in reversed(self.mail):
                invitation = _calendar_of(raw, "REQUEST")
                if invitation is None:
                    continue
                [event] = invitation.walk("VEVENT")
                session = await uow.sessions.by_uid(str(event["UID"]))
                if session is not None and session.status is SessionStatus.CONFIRMED and session.sequence == int(str(event["SEQUENCE"])):
                    break
            else:
                return
        mailbox_folder = self.out_dir / "mailbox"
        Maildir(mailbox_folder, create=True).add(calendar_reply(invitation, address, "DECLINED", self.clock.now()))
        reader = MaildirMailbox(mailbox_folder)
        await self.services.mail_in.read_pass(reader, owner="tandem-demo")
        self.result.declined_by_email_uid = session.ical_uid

    async def on_the_web(self, city: ScenarioCity) -> None:
        """Wang Fang signs in with the link from her e-mail and sets the city's hours and topics on the pages."""
        from tandem.demo.web import latest_link

        assert self.web is not None
        _, _, address = EMAIL_ONLY_CONTACT
        await self.web.ask_for_link(address)
        await self.run_jobs()  # the sign-in e-mail goes out through the local mail server
        await self.web.open_link(latest_link(self.mail, address))
        await self.web.set_hours(city.hours)
        titles = {t.key: t.titles["en"] for t in self.scenario.programme.topics}
        await self.web.choose_topics([titles[key] for key in city.topics], lambda title: None)
        self.result.web_actions = list(self.web.log)

    async def choose_topics(self, user: FakeUser, keys: tuple[str, ...]) -> None:
        [keyboard] = await self.say(user, "/topics")
        async with self.services.uow_factory() as uow:
            topic_ids = {t.key: t.id for t in await uow.topics.list()}
        for key in keys:
            current = self.driver.current(user, keyboard)
            for data in _buttons(current, callback_data.CHOOSE_TOPIC):
                _, topic_id, wanted = callback_data.CHOOSE_TOPIC.parse(data)
                if topic_id == topic_ids[key] and wanted:
                    await self.tap(user, current, data)

    def person(self, telegram_id: int, name: str, language: str, zone: str, city: str | None = None) -> FakeUser:
        user = FakeUser(telegram_id, name.split()[0], language_code=language, last_name=" ".join(name.split()[1:]) or None)
        self.people[telegram_id] = user
        self.zone_of[telegram_id] = zone
        if city is not None:
            self.city_of[telegram_id] = city
        return user

    # ------------------------------------------------------------------ output

    async def collect(self) -> None:
        """Sessions for the summary; every .ics each person received, under the output folder."""
        async with self.services.uow_factory() as uow:
            views = await uow.sessions.views()  # every session, earliest first
        for view in views:
            session = view.session
            self.result.sessions.append(
                {
                    "uid": session.ical_uid,
                    "sequence": session.sequence,
                    "status": session.status.value,
                    "start_utc": session.start_utc,
                    "end_utc": session.end_utc,
                    "city_a": view.city_a,
                    "city_b": view.city_b,
                    "topic": view.topic.title("en"),
                }
            )
            if session.sequence and session.status is SessionStatus.CONFIRMED:
                self.result.rescheduled_uid = session.ical_uid
            if session.status is SessionStatus.CANCELLED:
                self.result.cancelled_uid = session.ical_uid
        for user_id, document in self.api.document_files():
            if not document.file_name.endswith(".ics"):
                continue
            path = self.out_dir / str(user_id) / document.file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(document.content)
            self.result.ics_files.append(path)
        for number, raw in enumerate(self.mail, start=1):
            email = message_from_bytes(raw, policy=policy.default)
            recipient = str(email["To"].addresses[0].addr_spec)
            # Every e-mail as it was sent, openable in any mail program: mail/<recipient>/<n>-<subject>.eml
            slug = re.sub(r"[^\w]+", "-", str(email["Subject"] or "mail"), flags=re.UNICODE).strip("-")[:60] or "mail"
            eml = self.out_dir / "mail" / recipient / f"{number:03d}-{slug}.eml"
            eml.parent.mkdir(parents=True, exist_ok=True)
            eml.write_bytes(raw)
            self.result.eml_files.append(eml)
            self.result.email_subjects.append((recipient, str(email["Subject"])))
            for part in email.iter_attachments():
                filename = part.get_filename()
                if filename and filename.endswith(".ics"):
                    path = self.out_dir / recipient / filename
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(part.get_content() if isinstance(part.get_content(), bytes) else part.get_content().encode())
                    self.result.ics_files.append(path)
        self.result.emails = len(self.mail)

    def transcripts(self) -> dict[int, str]:
        """What each person saw, in their language and zone, in order."""
        texts = {}
        for user_id, user in self.people.items():
            zone, lines = self.zone_of[user_id], []
            places = [Place(self.city_of[user_id], zone)] if user_id in self.city_of else []
            language = user.language_code or "en"
            for message in self.api.chat_history(user_id):
                who = user.first_name if message.sender == "user" else "Tandem"
                # Every version of the message, as the person saw it change (a tapped proposal
                # becomes "Confirmed", a topic keyboard gains its ✅).
                for number, version in enumerate(message.history):
                    when = format_instant(version.at_utc, zone, language, places)
                    body = (version.text or "").replace("\n", "\n      ")
                    lines.append(f"[{when}] {who}: {body}" if number == 0 else f"[{when}]   ✎ {body}")
                    if version.buttons:
                        lines.append("      " + "  ".join(f"[{b.text}]" for row in version.buttons for b in row))
                if message.document is not None:
                    lines.append(f"      📎 {message.document.file_name}")
            texts[user_id] = "\n".join(lines)
        return texts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _deep_link_code(text: str) -> str:
    marker = "?start="
    if marker not in text:
        raise RuntimeError(f"expected an invite link, got: {text!r}")
    return text.split(marker, 1)[1].split()[0]


def _calendar_of(raw: bytes, method: str) -> icalendar.Calendar | None:
    """The iTIP file of an e-mail Tandem sent, if it is of ``method``."""
    email = message_from_bytes(raw, policy=policy.default)
    for part in email.walk():
        if part.get_content_type() == "text/calendar" and str(part.get_param("method", "")).upper() == method:
            payload = part.get_payload(decode=True)
            return icalendar.Calendar.from_ical(payload) if isinstance(payload, bytes) else None
    return None


def calendar_reply(invitation: icalendar.Calendar, address: str, partstat: str, now_utc: datetime) -> bytes:
    """The reply a calendar (here shaped as Foxmail's: the .ics as an attachment) e-mails to the organizer."""
    [event] = invitation.walk("VEVENT")
    reply = icalendar.Calendar()
    reply.add("prodid", "-//Tencent Corporation//Foxmail 7.2//ZH")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    answer = icalendar.Event()
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
        answer[name] = event[name]
    answer.add("dtstamp", now_utc)
    attendee = icalendar.vCalAddress(f"MAILTO:{address}")
    attendee.params["PARTSTAT"] = partstat
    answer.add("attendee", attendee)
    reply.add_component(answer)
    for timezone_part in invitation.walk("VTIMEZONE"):
        reply.add_component(timezone_part)
    mail = EmailMessage()
    mail["From"] = address
    mail["To"] = str(event["ORGANIZER"]).removeprefix("mailto:")
    mail["Subject"] = f"拒绝: {event['SUMMARY']}"
    mail["Date"] = format_datetime(now_utc)
    mail["Message-ID"] = make_msgid(domain=address.rpartition("@")[2])
    mail.set_content("该时间我方另有安排。", charset="utf-8", cte="base64")
    mail.add_attachment(reply.to_ical(), maintype="application", subtype="octet-stream", filename="invite.ics")
    return bytes(mail)


def _buttons(message: SentMessage, action: callback_data.ButtonAction[Any]) -> list[str]:
    return [b.callback_data for row in message.buttons for b in row if b.callback_data and action.matches(b.callback_data)]


def summary_table(result: DemoResult) -> str:
    rows = [("status", "topic", "cities", "UTC", "local times")]
    for s in result.sessions:
        a, b = s["city_a"], s["city_b"]
        local = (
            f"{s['start_utc'].astimezone(ZoneInfo(a.timezone)):%a %d %b %H:%M} {a.name} · "
            f"{s['start_utc'].astimezone(ZoneInfo(b.timezone)):%a %d %b %H:%M} {b.name}"
        )
        status = s["status"] + (f" (update {s['sequence']})" if s["sequence"] and s["status"] == "confirmed" else "")
        rows.append((status, s["topic"][:38], f"{a.name}–{b.name}", f"{s['start_utc']:%Y-%m-%d %H:%M}", local))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


async def run_demo(
    out_dir: Path,
    scenario_path: Path = EMBEDDED,
    stdout: TextIO = sys.stdout,
    *,
    serve: bool = False,
    port: int = 0,
    stop: asyncio.Event | None = None,
) -> DemoResult:
    """Play the scenario; write transcripts, the summary, every .ics and every e-mail under ``out_dir``.

    The web app runs on 127.0.0.1 (``port``; 0: any free one) during the demo, as ``tandem run``
    serves it. ``serve=True`` keeps it running afterwards, with a sign-in link printed for each
    demo person, until ``stop`` is set (or SIGINT/SIGTERM arrives).
    """
    from aiosmtpd.controller import Controller

    from tandem.demo.web import WebVisitor

    scenario = load_scenario(scenario_path)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    database = f"sqlite+aiosqlite:///{out_dir / 'tandem-demo.sqlite3'}"
    await upgrade_async(database)
    demo = Demo(scenario, out_dir, stdout)

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            demo.mail.append(envelope.original_content or envelope.content)
            return "250 OK"

    sock = listening_socket("127.0.0.1", port)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    try:
        config = scenario.config(
            telegram=TelegramConfig(token=Secret(demo.api.token)),
            database=DatabaseConfig(url=database),
            email=EmailConfig(enabled=True, host="127.0.0.1", port=smtp.port, security="none", sender="tandem@example.org"),
            web=WebConfig(enabled=True, base_url=base_url, secret=Secret(secrets.token_urlsafe(32))),
        )
        demo.application = build_application(
            config, request=OfflineRequest(demo.api), get_updates_request=OfflineRequest(demo.api), clock=demo.clock, rate_limiter=TelegramRateLimiter(speed=1000)
        )
        demo._driver = ChatDriver(demo.api, demo.application)
        async with demo.application:
            await demo.application.post_init(demo.application)  # as run_polling does
            await demo.application.start()  # the job queue runs; no updater: the demo feeds updates
            server = build_server(demo.application, config, sock)
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            demo.web = WebVisitor(base_url)
            try:
                result = await demo.play()
                write_outputs(demo, result, out_dir, stdout)
                if serve:
                    await keep_serving(demo, result, base_url, stdout, stop or asyncio.Event())
            finally:
                await demo.web.aclose()
                server.should_exit = True
                await serving
                await demo.application.stop()
                await demo.application.post_shutdown(demo.application)
    finally:
        smtp.stop()
        sock.close()
    return result


def write_outputs(demo: Demo, result: DemoResult, out_dir: Path, stdout: TextIO) -> None:
    transcripts = demo.transcripts()
    folder = out_dir / "transcripts"
    folder.mkdir()
    for user_id, text in transcripts.items():
        user = demo.people[user_id]
        (folder / f"{user_id}-{user.first_name}.txt").write_text(text + "\n", encoding="utf-8")
        print(f"\n===== {user.first_name} {user.last_name or ''} ({user_id}, {user.language_code}, {demo.zone_of[user_id]}) =====", file=stdout)
        print(text, file=stdout)
    _, name, address = EMAIL_ONLY_CONTACT
    web = "\n".join([*(f"[web] {name}: {action}" for action in result.web_actions),
                     *(f"[mail] {path.name}" for path in result.eml_files if path.parent.name == address)])
    (folder / f"{address}.txt").write_text(web + "\n", encoding="utf-8")
    print(f"\n===== {name} ({address}, e-mail and the web pages only) =====\n{web}", file=stdout)
    table = summary_table(result)
    (out_dir / "summary.txt").write_text(table + "\n", encoding="utf-8")
    print("\n===== Sessions =====\n" + table, file=stdout)
    print(
        f"\n{result.matches_planned} matches planned, {result.matches_confirmed} confirmed; "
        f"{len(result.ics_files)} calendar files and {result.emails} e-mails (mail/) under {out_dir}",
        file=stdout,
    )


async def keep_serving(demo: Demo, result: DemoResult, base_url: str, stdout: TextIO, stop: asyncio.Event) -> None:
    """``--serve``: a sign-in link for each demo person, then the web app stays up until stopped."""
    import signal

    async with demo.services.uow_factory() as uow:
        people = [c for city in await uow.cities.list() for c in await uow.contacts.of_city(city.id)]
        people += await uow.contacts.with_role(Role.COORDINATOR)
        cities = {c.id: c.name for c in await uow.cities.list()}
    lines = []
    for contact in people:
        link = await demo.services.sign_in.link_for(contact_id=contact.id)
        who = f"{contact.display_name} ({cities.get(contact.city_id or 0, 'coordinator')}, {contact.role.value})"
        result.sign_in_links[contact.display_name] = link
        lines.append(f"{who}: {link}")
    # Printed in one go once every link exists: whoever reads "Ctrl-C stops it" finds them all.
    print(f"\n===== The web app is running at {base_url} (Ctrl-C stops it) =====", *lines, sep="\n", file=stdout)
    stdout.flush()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests set ``stop`` themselves)
            pass
    await stop.wait()
