"""Reading replies over TLS from the real Dovecot: implicit TLS (IMAPS) and STARTTLS, with a server
certificate of a private CA made for the test (``tests/mail_in/dovecot.py``).

Trusted -- given as the mailbox's context, or as production does it, by OpenSSL's ``SSL_CERT_FILE``
-- the reply is read and acted on; not trusted, the reader says so in its log, sends no password,
and the reply waits in the inbox, unchanged, for the next pass.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from bot.domain import Attendance
from bot.mailboxes import ImapMailbox
from bot.ports import MailboxError
from bot.services import Services
from storage.uow import UnitOfWorkFactory
from tests.mail_in.conftest import Programme, fixture
from tests.mail_in.dovecot import Dovecot

SECURITIES = ["tls", "starttls"]


def tls_mailbox(dovecot: Dovecot, security: str, context: ssl.SSLContext | None) -> ImapMailbox:
    return ImapMailbox(
        host=dovecot.host, port=dovecot.tls_port if security == "tls" else dovecot.port, security=security,
        username=dovecot.user, password=dovecot.password, ssl_context=context,
    )


async def li_answers(uow_factory: UnitOfWorkFactory, programme: Programme) -> Attendance:
    async with uow_factory() as uow:
        return {c.id: a for c, a in await uow.sessions.participants(programme.session_id)}[programme.li]


def logins(dovecot: Dovecot) -> list[str]:
    """Dovecot's log lines of a successful login, with how the connection was secured."""
    return [line for line in dovecot.log().splitlines() if "imap-login: Info: Login:" in line]


@pytest.mark.parametrize("security", SECURITIES)
async def test_the_reader_reads_a_reply_over_tls_from_a_server_it_trusts(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory, security: str,
) -> None:
    dovecot.append(fixture("gmail_decline.eml"))
    before = logins(dovecot)
    mailbox = tls_mailbox(dovecot, security, ssl.create_default_context(cafile=str(dovecot.ca_file)))
    try:
        result = await services.mail_in.read_pass(mailbox, owner="reader-1")
        version = mailbox._client.socket().version()  # the connection the reader used
    finally:
        await mailbox.close()
    [login] = logins(dovecot)[len(before):]  # Dovecot's own word: the reader's login came over TLS
    assert "TLS" in login, login
    assert (result.processed, result.unmatched) == (1, 0)
    assert await li_answers(uow_factory, programme) is Attendance.NO
    assert (dovecot.count("INBOX"), dovecot.count("Tandem-Processed")) == (0, 1)
    assert version in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize("security", SECURITIES)
async def test_a_private_ca_is_trusted_through_ssl_cert_file_as_in_production(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory, security: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No context given (as ``tandem run`` builds the mailbox): the system's trust, plus the CA in SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))
    dovecot.append(fixture("gmail_decline.eml"))
    mailbox = tls_mailbox(dovecot, security, None)
    try:
        assert (await services.mail_in.read_pass(mailbox, owner="reader-1")).processed == 1
    finally:
        await mailbox.close()
    assert await li_answers(uow_factory, programme) is Attendance.NO


@pytest.mark.parametrize("security", SECURITIES)
async def test_a_certificate_the_reader_does_not_trust_is_refused_logged_and_nothing_is_lost(
    services: Services, programme: Programme, dovecot: Dovecot, uow_factory: UnitOfWorkFactory, security: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot.append(fixture("gmail_decline.eml"))
    before = logins(dovecot)  # the test's own (plain) client, appending
    mailbox = tls_mailbox(dovecot, security, None)  # the system's trust only: the test CA is not in it
    with pytest.raises(MailboxError, match="certificate is not trusted"):
        await services.mail_in.read_pass(mailbox, owner="reader-1")
    # As tandem run reads: the reader logs why, and tries again later; nothing is read meanwhile.
    stop = asyncio.Event()
    reader = asyncio.create_task(services.mail_in.run(lambda: tls_mailbox(dovecot, security, None), owner="reader-1", stop=stop))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while "certificate is not trusted" not in caplog.text:
            assert loop.time() < deadline and not reader.done(), caplog.text
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(reader, timeout=30)
    assert logins(dovecot) == before  # the password never reached the server
    line = next(r for r in caplog.records if "certificate is not trusted" in r.getMessage())
    assert "cannot read imap://tandem@127.0.0.1" in line.getMessage() and "SSL_CERT_FILE" in line.getMessage()
    assert await li_answers(uow_factory, programme) is Attendance.PENDING
    async with uow_factory() as uow:
        assert await uow.mail_in.count() == 0
    assert dovecot.count("INBOX") == 1  # waiting, unchanged, for a reader that trusts the server
