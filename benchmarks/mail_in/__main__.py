"""Replies benchmark: 1,000 calendar replies read from a real Dovecot in one pass.

    .venv/bin/python -m benchmarks.mail_in [--replies 1000] [--batch 50]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Runs as root with Debian's ``dovecot-imapd`` (the test suite's own Dovecot, ``tests/mail_in/dovecot.py``).
The programme: 50 confirmed sessions between Panjin and 50 partner cities, 20 invited people with
an address each (19 of the partner city and Panjin's contact). The mailbox: one reply per
(session, person) -- 1,000 by default, ACCEPTED, TENTATIVE and DECLINED in turn, in Thunderbird's
shape (text/plain, the inline text/calendar part and the same as an ``invite.ics`` attachment) --
APPENDed before the clock starts. Then one ``read_pass`` of the real reader (``bot.mailboxes.ImapMailbox``
and ``bot.services.mail_in``): the UIDs and sizes, then per batch of ``--batch`` messages (the
reader's own default, 50) one FETCH, the replies read and recorded in one transaction (the
attendances, the notices to the coordinators and the partner city, the records that make each
happen once), one MOVE to the processed folder, and the reader's position saved. ``--batch 1``
is one message per transaction, as the reader worked before batches.

Printed: the pass's wall time; the time per reply spent acting on it (``take_in_many``: parsing and
the database, "beside the IMAP round trips", target < 5 ms) and its CPU time; the rest of the
pass per reply (IMAP SEARCH, FETCH and MOVE, the position saved). Checked: every reply recorded and
moved once, none unmatched.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.delivery.bench_delivery import fresh_database
from bot.clock import ManualClock
from bot.config import Config, EmailConfig, ProgrammeConfig, Secret, TopicConfig
from bot.domain import MatchStatus, Role
from bot.mailboxes import ImapMailbox
from bot.services import Services
from bot.services.mail_in import MailInService
from storage.db import create_engine, create_session_factory, upgrade_async
from storage.uow import UnitOfWorkFactory
from tests.mail_in.dovecot import Dovecot, running_dovecot

NOW = datetime(2027, 3, 23, 10, 0, tzinfo=timezone.utc)
TARGET_MS = 5.0
PEOPLE_PER_SESSION = 20
ORGANIZER = "programme@tandem.example"


@dataclass
class Result:
    replies: int
    wall_seconds: float
    acting_seconds: float
    acting_cpu_seconds: float
    processed: int
    unmatched: int
    moved: int

    def line(self) -> str:
        per = lambda seconds: 1000 * seconds / self.replies  # noqa: E731
        return (
            f"{self.replies} replies in one pass: {self.wall_seconds:.2f} s wall, {per(self.wall_seconds):.2f} ms per reply\n"
            f"  acting on a reply (parse + database, beside the IMAP round trips): {per(self.acting_seconds):.2f} ms wall, "
            f"{per(self.acting_cpu_seconds):.2f} ms CPU per reply (target < {TARGET_MS:g} ms: "
            f"{'met' if per(self.acting_seconds) < TARGET_MS else 'NOT met'})\n"
            f"  the IMAP round trips and the saved position: {per(self.wall_seconds - self.acting_seconds):.2f} ms per reply\n"
            f"  processed {self.processed}, unmatched {self.unmatched}, moved to the processed folder {self.moved}"
        )


def reply(uid: str, address: str, partstat: str, number: int) -> bytes:
    ics = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSEQUENCE:0\r\nDTSTAMP:20270323T101500Z\r\n"
        "DTSTART:20270331T070000Z\r\nDTEND:20270331T080000Z\r\n"
        f"ORGANIZER;CN=Programme:mailto:{ORGANIZER}\r\n"
        f"ATTENDEE;RSVP=TRUE;PARTSTAT={partstat};ROLE=REQ-PARTICIPANT:mailto:{address}\r\n"
        "SUMMARY:Panjin – partner: wetlands\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    attachment = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    return (
        f"Message-ID: <bench-{number}@tandem.example>\r\nDate: Tue, 23 Mar 2027 11:02:44 +0100\r\nMIME-Version: 1.0\r\n"
        f"From: <{address}>\r\nTo: {ORGANIZER}\r\nSubject: Reply {number}\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nA reply.\r\n"
        f"--b\r\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\r\n\r\n{ics}"
        f'--b\r\nContent-Type: application/ics; name="invite.ics"\r\nContent-Disposition: attachment; filename="invite.ics"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}--b--\r\n"
    ).encode()


async def programme(uow_factory: UnitOfWorkFactory, sessions: int) -> list[tuple[str, list[str]]]:
    """``sessions`` confirmed sessions, each with its UID and the addresses invited to it."""
    out: list[tuple[str, list[str]]] = []
    async with uow_factory() as uow:
        topic = (await uow.topics.list())[0]
        panjin = await uow.cities.add(name="Panjin", country="CN", timezone="Asia/Shanghai", group="China", now_utc=NOW)
        coordinator = await uow.contacts.add(display_name="Coordinator", role=Role.COORDINATOR, language="en", now_utc=NOW, telegram_user_id=1001, chat_id=1001)
        wang = await uow.contacts.add(display_name="Wang Fang", role=Role.CONTACT, language="zh", now_utc=NOW, city_id=panjin.id, email="wang.fang@panjin.example.cn")
        for i in range(sessions):
            city = await uow.cities.add(name=f"Partner {i}", country="DE", timezone="Europe/Berlin", group="EU", now_utc=NOW)
            people = [
                await uow.contacts.add(
                    display_name=f"Person {i}.{j}", role=Role.CONTACT if j == 0 else Role.PARTICIPANT, language="de",
                    now_utc=NOW, city_id=city.id, email=f"person{j}@partner{i}.example",
                )
                for j in range(PEOPLE_PER_SESSION - 1)
            ]
            match = await uow.matches.create(panjin.id, city.id, topic.id, NOW)
            assert match is not None
            await uow.matches.transition(match.id, [match.status], MatchStatus.CONFIRMED, NOW)
            uid = f"bench-{i}@tandem"
            session = await uow.sessions.add(
                match_id=match.id, start_utc=NOW + timedelta(days=8, hours=i), duration_minutes=60,
                meeting_link="https://meet.jit.si/bench", ical_uid=uid, confirmed_by=1001, now_utc=NOW,
            )
            assert session is not None
            await uow.sessions.add_participants(session.id, [coordinator.id, wang.id, *(p.id for p in people)])
            out.append((uid, [wang.email or "", *(p.email or "" for p in people)]))
        await uow.commit()
    return out


async def run(replies: int, postgres: str | None, folder: Path, server: Dovecot, batch: int | None = None) -> Result:
    database, drop = await fresh_database(postgres, folder)
    await upgrade_async(database)
    engine = create_engine(database)
    try:
        uow_factory = UnitOfWorkFactory(create_session_factory(engine))
        config = Config(
            programme=ProgrammeConfig(
                name="Benchmark", groups=("China", "EU"), organizer_email=ORGANIZER,
                topics=(TopicConfig("wetlands", {"en": "Wetlands"}),),
            ),
            email=EmailConfig(enabled=True, sender=ORGANIZER, imap_host=server.host, imap_username=server.user, imap_password=Secret(server.password)),
        )
        services = Services(config=config, clock=ManualClock(NOW), uow_factory=uow_factory)
        if batch is not None:
            services.mail_in.batch_size = batch
        await services.interests.sync_topics()
        sessions = await programme(uow_factory, -(-replies // PEOPLE_PER_SESSION))
        client = server.client()
        try:
            number = 0
            for uid, addresses in sessions:
                for address in addresses:
                    if number == replies:
                        break
                    client.append("INBOX", reply(uid, address, ("ACCEPTED", "TENTATIVE", "DECLINED")[number % 3], number))
                    number += 1
        finally:
            client.logout()
        mailbox = ImapMailbox(host=server.host, port=server.port, security="none", username=server.user, password=server.password)
        try:
            started = time.perf_counter()
            result = await services.mail_in.read_pass(mailbox, owner="benchmark")
            wall = time.perf_counter() - started
        finally:
            await mailbox.close()
        return Result(replies, wall, result.seconds_acting, result.cpu_seconds_acting, result.processed, result.unmatched, server.count("Tandem-Processed"))
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mail_in", description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=1000, help="replies in the mailbox (default 1000)")
    parser.add_argument("--batch", type=int, default=None, help="messages per transaction (default: the reader's own, 50)")
    parser.add_argument("--postgres", default=None, help="admin URL of a PostgreSQL server; a fresh database is made and dropped")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, running_dovecot() as server:
        result = asyncio.run(run(arguments.replies, arguments.postgres, Path(folder), server, arguments.batch))
    batch = arguments.batch or MailInService.batch_size
    print(f"database: {'PostgreSQL' if arguments.postgres else 'SQLite'}; IMAP: Dovecot on 127.0.0.1; {batch} messages per transaction")
    print(result.line())
    if (result.processed, result.unmatched, result.moved) != (arguments.replies, 0, arguments.replies):
        raise SystemExit("not every reply was recorded and moved once")


if __name__ == "__main__":
    main()
