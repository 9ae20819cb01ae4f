"""Replies read from a real Dovecot: every client's shape end to end, once, filed, never lost.

Each test APPENDs messages to the mailbox over IMAP (as a mail server delivers them), runs the
reader (``services.mail_in.read_pass`` / ``run``) against Dovecot, and looks at what changed in the
database, what was queued for whom, and which folder each message ended in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot import callback_data
from bot.domain import Actor, Attendance, Channel, NoticeKind, OutgoingMessage
from bot.mailboxes import ImapMailbox
from bot.notices import RENDERERS, RenderContext
from bot.services import Services
from storage.uow import UnitOfWorkFactory
from tests.mail_in.conftest import COORDINATOR, START, Programme, fixture, imap_mailbox
from tests.mail_in.dovecot import Dovecot

PROCESSED, UNMATCHED = "Tandem-Processed", "Tandem-Unmatched"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def answers(uow_factory: UnitOfWorkFactory, session_id: int) -> dict[str, Attendance]:
    async with uow_factory() as uow:
        return {c.display_name: a for c, a in await uow.sessions.participants(session_id)}


async def outbox(uow_factory: UnitOfWorkFactory, kind: NoticeKind | None = None) -> list[OutgoingMessage]:
    async with uow_factory() as uow:
        rows = await uow.outbox.list()
    return [m for m in rows if kind is None or m.kind == kind.value]


async def render(services: Services, message: OutgoingMessage):  # noqa: ANN201
    async with services.uow_factory() as uow:
        recipient = await uow.contacts.get(message.contact_id)
        assert recipient is not None
        return await RENDERERS[message.kind](RenderContext(uow, services.config, services.clock.now()), recipient, message)


# (fixture, who answers, their answer, who is told): each client's own shape of a reply.
SHAPES = [
    ("outlook_accept.eml", "Anna Schmidt", Attendance.YES),
    ("gmail_decline.eml", "Li Wei", Attendance.NO),
    ("apple_tentative.eml", "Wang Fang", Attendance.YES),  # tentative: still expected
    ("thunderbird_accept.eml", "Anna Schmidt", Attendance.YES),
    ("foxmail_decline.eml", "Wang Fang", Attendance.NO),
    ("outlook_delegate_accept.eml", "Wang Fang", Attendance.YES),  # Zhao answers for Wang
]


@pytest.mark.parametrize(("name", "who", "answer"), SHAPES, ids=[s[0].removesuffix(".eml") for s in SHAPES])
async def test_a_reply_of_each_client_is_recorded_as_the_chats_answer_and_filed(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
    name: str, who: str, answer: Attendance,
) -> None:
    dovecot.append(fixture(name))
    result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (result.processed, result.unmatched) == (1, 0)
    recorded = await answers(uow_factory, programme.session_id)
    assert recorded[who] is answer
    assert [n for n, a in recorded.items() if a is not Attendance.PENDING] == [who]
    # Told exactly as the chat's "I'll attend / I can't": the coordinator and the partner city.
    told = await outbox(uow_factory, NoticeKind.ATTENDANCE)
    assert told and {m.payload["answer"] for m in told} == {answer.value}
    partner = programme.anna if who != "Anna Schmidt" else programme.wang
    assert {m.contact_id for m in told} >= {programme.coordinator, partner}
    if answer is Attendance.NO:
        text = (await render(services, next(m for m in told if m.contact_id == programme.coordinator))).text
        assert "cannot attend" in text and "15:00 Panjin" in text and "09:00 Hamburg" in text
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED), dovecot.count(UNMATCHED)) == (0, 1, 0)


async def test_a_reply_for_an_earlier_time_is_recorded_and_flagged(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:  # the session moved (SEQUENCE 1) before Anna's calendar answered SEQUENCE 0
        await uow.sessions.reschedule(programme.session_id, expected_sequence=0, start_utc=START + timedelta(days=1), now_utc=services.clock.now())
        await uow.commit()
    dovecot.append(fixture("outlook_accept.eml"))
    await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (await answers(uow_factory, programme.session_id))["Anna Schmidt"] is Attendance.YES
    told = await outbox(uow_factory, NoticeKind.ATTENDANCE)
    assert told and all(m.payload.get("earlier_sequence") == 0 for m in told)
    text = (await render(services, next(m for m in told if m.contact_id == programme.coordinator))).text
    assert "earlier time" in text


async def test_a_proposed_time_reaches_the_coordinators_with_both_local_times_and_keep_sends_declinecounter(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    dovecot.append(fixture("outlook_counter.eml"))
    await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (await answers(uow_factory, programme.session_id))["Anna Schmidt"] is Attendance.PENDING  # a proposal is no answer
    [proposal] = await outbox(uow_factory, NoticeKind.COUNTER_PROPOSAL)
    assert proposal.contact_id == programme.coordinator and proposal.channel is Channel.TELEGRAM
    shown = await render(services, proposal)
    # 1 April 10:00 in Berlin (W. Europe Standard Time, summer time) is 08:00 UTC, 16:00 in Panjin.
    assert "Now: " in shown.text and "15:00 Panjin" in shown.text and "09:00 Hamburg" in shown.text
    assert "Proposed: " in shown.text and "16:00 Panjin" in shown.text and "10:00 Hamburg" in shown.text
    assert "Thursday suits our mayor better." in shown.text
    move, keep = shown.buttons[0][0], shown.buttons[1][0]
    assert callback_data.RESCHEDULE_TO.parse(move.data) == (programme.session_id, 0, START + timedelta(days=1, hours=1))
    assert callback_data.DECLINE_COUNTER.parse(keep.data) == (programme.session_id, 0, programme.anna)

    await services.sessions.decline_counter(programme.session_id, programme.anna, by=Actor.telegram(COORDINATOR), expected_sequence=0)
    [declined] = await outbox(uow_factory, NoticeKind.COUNTER_DECLINED)
    assert (declined.contact_id, declined.channel) == (programme.anna, Channel.EMAIL)
    mail = (await render(services, declined)).email
    calendar = next(part for part in mail.walk() if part.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "DECLINECOUNTER"
    ics = calendar.get_payload(decode=True).decode()
    assert "METHOD:DECLINECOUNTER" in ics and "UID:tandem-mail-in-1@tandem" in ics and "mailto:anna.schmidt@hamburg.example" in ics


async def test_refresh_sends_the_current_version_to_the_address_that_asked(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    dovecot.append(fixture("refresh.eml"))
    await services.mail_in.read_pass(mailbox, owner="reader-1")
    [again] = await outbox(uow_factory, NoticeKind.INVITATION)
    assert (again.contact_id, again.channel, again.payload["sequence"]) == (programme.li, Channel.EMAIL, 0)
    mail = (await render(services, again)).email
    assert mail["To"].addresses[0].addr_spec == "li.wei@panjin.example.cn"
    assert any(part.get_param("method") == "REQUEST" for part in mail.walk() if part.get_content_type() == "text/calendar")


async def test_a_reply_in_words_is_forwarded_to_the_coordinators(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    dovecot.append(fixture("plain_reply.eml"))
    result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert result.processed == 1
    [forwarded] = await outbox(uow_factory, NoticeKind.MAIL_FORWARDED)
    assert forwarded.contact_id == programme.coordinator
    text = (await render(services, forwarded)).text
    assert "Wang Fang (Panjin)" in text and "五月份互访湿地公园" in text and "How did the session Panjin – Hamburg go?" in text
    assert dovecot.count(PROCESSED) == 1


@pytest.mark.parametrize("name", ["unknown_uid.eml", "uninvited.eml", "broken_calendar.eml"])
async def test_what_cannot_be_matched_changes_nothing_and_is_filed_as_unmatched(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
    name: str, caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot.append(fixture(name))
    result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (result.processed, result.unmatched) == (0, 1)
    assert set((await answers(uow_factory, programme.session_id)).values()) == {Attendance.PENDING}
    assert await outbox(uow_factory) == []
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED), dovecot.count(UNMATCHED)) == (0, 0, 1)
    assert "reply not matched" in caplog.text


async def test_the_same_message_read_again_changes_nothing(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    dovecot.append(fixture("foxmail_decline.eml"))
    await services.mail_in.read_pass(mailbox, owner="reader-1")
    before = await outbox(uow_factory)
    # Wang says yes in the chat afterwards; a second copy of her old decline must not undo it.
    await services.sessions.answer(programme.session_id, True, by=Actor.contact(programme.wang))
    after_chat = await outbox(uow_factory)
    dovecot.append(fixture("foxmail_decline.eml"))
    result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (result.processed, result.repeated) == (1, 1)
    assert (await answers(uow_factory, programme.session_id))["Wang Fang"] is Attendance.YES
    assert await outbox(uow_factory) == after_chat and len(after_chat) > len(before)
    assert (await services.mail_in.read_pass(mailbox, owner="reader-1")).messages == 0
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED)) == (0, 2)


async def test_a_new_uidvalidity_reads_the_folder_from_the_start(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory,
) -> None:
    dovecot.append(fixture("outlook_accept.eml"), folder="Replies")
    dovecot.append(fixture("gmail_decline.eml"), folder="Replies")
    mailbox = imap_mailbox(dovecot, folder="Replies")
    try:
        assert (await services.mail_in.read_pass(mailbox, owner="reader-1")).processed == 2
        # The folder is deleted and made again (a restore, a migration): its UIDs start at 1 again,
        # below the last UID the reader remembers, under a new UIDVALIDITY.
        await mailbox.close()
        client = dovecot.client()
        old_validity = client.select_folder("Replies")[b"UIDVALIDITY"]
        client.unselect_folder()
        client.delete_folder("Replies")
        client.logout()
        dovecot.append(fixture("apple_tentative.eml"), folder="Replies")
        client = dovecot.client()
        assert client.select_folder("Replies")[b"UIDVALIDITY"] != old_validity
        client.logout()
        result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    finally:
        await mailbox.close()
    assert result.processed == 1
    assert (await answers(uow_factory, programme.session_id))["Wang Fang"] is Attendance.YES


async def test_two_readers_at_once_one_reads_every_message_once(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory,
) -> None:
    names = ["outlook_accept.eml", "gmail_decline.eml", "apple_tentative.eml", "plain_reply.eml", "unknown_uid.eml"]
    for name in names:
        dovecot.append(fixture(name))
    first, second = imap_mailbox(dovecot), imap_mailbox(dovecot)
    try:
        results = await asyncio.gather(
            services.mail_in.read_pass(first, owner="process-a"), services.mail_in.read_pass(second, owner="process-b"),
        )
    finally:
        await first.close()
        await second.close()
    assert sorted(r.leased for r in results) == [False, True]
    worked = next(r for r in results if r.leased)
    assert (worked.processed, worked.unmatched, worked.repeated) == (4, 1, 0)
    async with uow_factory() as uow:
        assert await uow.mail_in.count() == len(names)
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED), dovecot.count(UNMATCHED)) == (0, 4, 1)


async def test_idle_wakes_the_reader_when_a_reply_arrives(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory,
) -> None:
    # Polling every 10 minutes: only IDLE can bring the reply in within the ceiling below.
    services.config = replace(services.config, email=replace(services.config.email, imap_poll_interval=timedelta(minutes=10)))
    stop = asyncio.Event()
    mailbox = imap_mailbox(dovecot)
    reader = asyncio.create_task(services.mail_in.run(lambda: mailbox, owner="reader-1", stop=stop))
    try:
        async def first_pass_done() -> bool:
            async with uow_factory() as uow:
                return (await uow.mail_in.position(mailbox.name))[0] is not None

        await wait_for(first_pass_done, what="the reader's first pass")
        assert not reader.done()
        await asyncio.sleep(0.3)  # let it enter IDLE; the reply below arrives while it waits
        await asyncio.to_thread(dovecot.append, fixture("foxmail_decline.eml"))

        async def declined() -> bool:
            return (await answers(uow_factory, programme.session_id))["Wang Fang"] is Attendance.NO

        await wait_for(declined, what="the decline read after IDLE said EXISTS", ceiling=20)
    finally:
        stop.set()
        await asyncio.wait_for(reader, timeout=30)
    async with uow_factory() as uow:  # stopping gives the mailbox back at once
        assert await uow.mail_in.take_lease(mailbox.name, owner="next", now_utc=services.clock.now(), until_utc=services.clock.now())


async def wait_for(condition, *, what: str, ceiling: float = 30) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ceiling
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {ceiling} s")
        await asyncio.sleep(0.05)


async def test_a_processed_reply_moved_back_to_the_inbox_changes_nothing_again(
    services: Services, programme: Programme, dovecot: Dovecot, mailbox: ImapMailbox, uow_factory: UnitOfWorkFactory,
) -> None:
    """A person moves a processed reply back to the inbox: it is recognised and filed again, unchanged."""
    dovecot.append(fixture("thunderbird_accept.eml"))
    await services.mail_in.read_pass(mailbox, owner="reader-1")
    before = await outbox(uow_factory)
    client = dovecot.client()
    client.select_folder(PROCESSED)
    client.move(client.search(), "INBOX")
    client.logout()
    result = await services.mail_in.read_pass(mailbox, owner="reader-1")
    assert (result.processed, result.repeated) == (1, 1)
    assert await outbox(uow_factory) == before
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED)) == (0, 1)


async def test_a_reader_killed_in_the_middle_of_a_pass_loses_nothing_and_does_nothing_twice(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory, database_url: str,
) -> None:
    count = 30
    template = fixture("thunderbird_accept.eml")
    for i in range(count):  # thirty replies, each its own message
        dovecot.append(template.replace(b"<5f7c2b1e-", f"<copy-{i}-".encode()))
    process = reader_process(dovecot, database_url, batch=3)
    try:
        async def some_taken_in() -> bool:
            async with uow_factory() as uow:
                return await uow.mail_in.count() >= 5

        await wait_for(some_taken_in, what="the reader process taking in its first messages", ceiling=60)
        process.kill()  # SIGKILL: no clean-up, the lease stays held until it expires
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    waiting = dovecot.count("INBOX")
    assert 0 < waiting < count, "the kill did not land in the middle of the pass"
    # A new process once the dead one's lease has expired (the services' clock is later than the
    # killed process's): it reads what was left, and what was taken in already changes nothing.
    mailbox = imap_mailbox(dovecot)
    try:
        result = await services.mail_in.read_pass(mailbox, owner="next-process")
    finally:
        await mailbox.close()
    assert result.leased and result.processed >= waiting
    async with uow_factory() as uow:
        assert await uow.mail_in.count() == count
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED), dovecot.count(UNMATCHED)) == (0, count, 0)
    assert (await answers(uow_factory, programme.session_id))["Anna Schmidt"] is Attendance.YES
    told = await outbox(uow_factory, NoticeKind.ATTENDANCE)
    assert len(told) == len({(m.contact_id, m.channel) for m in told}) > 0  # each told once


async def committed(uow_factory: UnitOfWorkFactory, database_url: str, programme: Programme) -> tuple[int, str, int]:
    """(messages recorded, Li's answer, declines queued) as another process sees them now, while a
    writer may hold its transaction open: on PostgreSQL a unit of work; on SQLite a plain reader
    (WAL lets one read beside the writer, which every unit of work, taking the write lock first
    with BEGIN IMMEDIATE, would wait for)."""
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.split("///", 1)[1])) as db:
            records = db.execute("SELECT count(*) FROM mail_in_messages").fetchone()[0]
            answer = db.execute("SELECT answer FROM participants WHERE session_id = ? AND contact_id = ?", (programme.session_id, programme.li)).fetchone()[0]
            payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox WHERE kind = ?", (NoticeKind.ATTENDANCE.value,))]
            return int(records), str(answer), sum(p["answer"] == Attendance.NO.value for p in payloads)
    async with uow_factory() as uow:
        records = await uow.mail_in.count()
    declines = [m for m in await outbox(uow_factory, NoticeKind.ATTENDANCE) if m.payload["answer"] == Attendance.NO.value]
    return records, (await answers(uow_factory, programme.session_id))["Li Wei"].value, len(declines)


def reader_process(dovecot: Dovecot, database_url: str, *, batch: int, pause_at: int | None = None) -> subprocess.Popen[bytes]:
    """``tests/mail_in/reader_process.py``: a reader in a process of its own, to be killed."""
    pause = [str(pause_at)] if pause_at is not None else []
    return subprocess.Popen(
        [
            sys.executable, "-m", "tests.mail_in.reader_process",
            database_url, dovecot.host, str(dovecot.port), dovecot.user, dovecot.password, str(batch), *pause,
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


async def test_a_reader_killed_in_the_middle_of_a_batch_loses_nothing_and_keeps_nothing_half_done(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory, database_url: str,
) -> None:
    """Several replies are acted on in one transaction: killed after some of a batch were acted on
    and before its commit, none of that batch counts, all of it is read again, nothing twice."""
    batch = 10
    accept, decline = fixture("thunderbird_accept.eml"), fixture("gmail_decline.eml")
    replies = [accept.replace(b"<5f7c2b1e-", f"<copy-{i}-".encode()) for i in range(batch)]  # the first batch: Anna's
    replies.append(decline)  # the second batch begins with Li's decline ...
    replies += [accept.replace(b"<5f7c2b1e-", f"<later-{i}-".encode()) for i in range(batch - 1)]  # ... then Anna's again
    for raw in replies:
        dovecot.append(raw)
    # Paused (then killed) before the notices of the second reply of the second batch: Li's decline
    # is acted on -- the answer written, its notices queued -- but not committed.
    process = reader_process(dovecot, database_url, batch=batch, pause_at=batch + 2)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=60)
        assert line.strip() == b"paused", line + (process.stdout.read() if process.poll() is not None else b"")
        # What another process sees meanwhile: the first batch is in; of the second, nothing.
        assert await committed(uow_factory, database_url, programme) == (batch, Attendance.PENDING.value, 0)
        assert (dovecot.count("INBOX"), dovecot.count(PROCESSED)) == (batch, batch)
        process.kill()  # SIGKILL inside the second batch's transaction
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    mailbox = imap_mailbox(dovecot)
    try:
        result = await services.mail_in.read_pass(mailbox, owner="next-process")
    finally:
        await mailbox.close()
    assert (result.leased, result.processed, result.repeated) == (True, batch, 0)
    async with uow_factory() as uow:
        assert await uow.mail_in.count() == len(replies)
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED), dovecot.count(UNMATCHED)) == (0, len(replies), 0)
    recorded = await answers(uow_factory, programme.session_id)
    assert (recorded["Li Wei"], recorded["Anna Schmidt"]) == (Attendance.NO, Attendance.YES)
    told = await outbox(uow_factory, NoticeKind.ATTENDANCE)
    declined = [m for m in told if m.payload["answer"] == Attendance.NO.value]
    assert declined and len(declined) == len({(m.contact_id, m.channel) for m in declined})  # Li's decline told once


async def test_a_reply_arriving_while_a_pass_runs_is_read_without_waiting_for_the_poll(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory,
) -> None:
    """The server announces it during the pass (EXISTS among the FETCH and MOVE answers), not again
    when IDLE starts: the reader must look again at once rather than sleep through IDLE."""

    class ReplyArrivesMidPass(ImapMailbox):
        arrived = False

        async def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
            if not self.arrived:
                self.arrived = True
                await asyncio.to_thread(dovecot.append, fixture("gmail_decline.eml"))
            return await super().fetch(uids)

    dovecot.append(fixture("outlook_accept.eml"))
    mailbox = ReplyArrivesMidPass(host=dovecot.host, port=dovecot.port, security="none", username=dovecot.user, password=dovecot.password)
    try:
        assert (await services.mail_in.read_pass(mailbox, owner="reader-1")).processed == 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        await mailbox.wait_for_mail(30)
        assert loop.time() - started < 5
        assert (await services.mail_in.read_pass(mailbox, owner="reader-1")).processed == 1
    finally:
        await mailbox.close()
    assert (await answers(uow_factory, programme.session_id))["Li Wei"] is Attendance.NO
