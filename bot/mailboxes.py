"""The mailboxes replies are read from (``bot.ports.Mailbox``): IMAP for ``tandem run``, a Maildir
for the offline demo, which has no IMAP server. Both only move bytes; ``bot.calendar_replies``
reads them and ``bot.services.mail_in`` acts on them, the same way for both.

IMAP is spoken by IMAPClient (a synchronous library, mature and complete: IDLE, MOVE, UIDPLUS,
STARTTLS), each call run on a worker thread (``asyncio.to_thread``) so the bot's event loop never
waits on the network. One connection per reader; every failure of the server or the network
becomes ``MailboxError``, and the reader connects again later.

Waiting for mail: IDLE (RFC 2177) where the server offers it -- the server says "EXISTS" the
moment a message arrives -- else a plain sleep of the poll interval. Moving: MOVE (RFC 6851)
where offered, else COPY, flag ``\\Deleted`` and expunge those UIDs (UIDPLUS) or the folder.
The service reads several messages at a time: one FETCH, one MOVE per folder for them all.
Messages are fetched with ``BODY.PEEK[]``, so none is marked read by Tandem.

TLS (``imap_security`` "tls": implicit, port 993; "starttls": port 143) checks the server's
certificate and name against the system's trust store (a private CA: added to it, or named by
OpenSSL's ``SSL_CERT_FILE``) before the password is sent; "none" is allowed for a server on this
machine only (``bot.config``).
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import json
import mailbox
import os
import socket
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from bot.ports import MailboxError

T = TypeVar("T")


class ImapMailbox:
    """One IMAP folder, read by one connection (``bot.ports.Mailbox``)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str,
        folder: str = "INBOX",
        processed_folder: str = "Tandem-Processed",
        unmatched_folder: str = "Tandem-Unmatched",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,  # tests; None = the system's trust (and SSL_CERT_FILE's)
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self._password = username, password
        self.folder, self.processed_folder, self.unmatched_folder = folder, processed_folder, unmatched_folder
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.name = f"imap://{username}@{host}:{port}/{folder}"
        self._client: Any = None  # IMAPClient, typed loosely: the library ships no type hints
        self._can_idle = self._can_move = self._uidplus = False

    def __repr__(self) -> str:  # never the password
        return f"ImapMailbox({self.name!r})"

    async def open(self) -> int:
        return await self._call(self._open)

    async def messages_after(self, last_uid: int) -> list[tuple[int, int]]:
        def sizes() -> Any:
            client = self._client
            if client is None:
                raise MailboxError(f"{self.name}: closed")
            # From here on, an EXISTS the server sends is mail this search may not have seen (_idle).
            self._pending(client).pop("EXISTS", None)
            # "n:*" always names the highest UID, even below n (RFC 3501 6.4.8): filter it out.
            uids = [int(uid) for uid in client.search(["UID", f"{last_uid + 1}:*"]) if int(uid) > last_uid]
            return client.fetch(uids, ["RFC822.SIZE"]) if uids else {}

        found = await self._call(sizes)
        return sorted((int(uid), int(item.get(b"RFC822.SIZE", 0))) for uid, item in found.items())

    async def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        if not uids:
            return {}
        data = await self._call(lambda: self._client.fetch(list(uids), ["BODY.PEEK[]"]))
        raws = {int(uid): item.get(b"BODY[]") for uid, item in data.items()}
        return {uid: bytes(raw) for uid, raw in raws.items() if raw is not None and uid in uids}

    async def file_away(self, uids: Sequence[int], *, matched: bool) -> None:
        if uids:
            folder = self.processed_folder if matched else self.unmatched_folder
            await self._call(lambda: self._move(list(uids), folder))

    async def wait_for_mail(self, timeout: float) -> None:
        if not self._can_idle:
            await asyncio.sleep(timeout)
            return
        await self._call(lambda: self._idle(timeout))

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        # Shut the socket first: that also ends an IDLE another thread is blocked in.
        with contextlib.suppress(OSError, AttributeError):
            client.socket().shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(client.logout)

    # -- on the worker thread

    async def _call(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(work)
        except ssl.SSLCertVerificationError as exc:  # before OSError, which it is too
            await self.close()
            raise MailboxError(
                f"{self.name}: the server's certificate is not trusted ({exc.verify_message}); the password was not sent. "
                "A private CA: add it to the system's trust store or SSL_CERT_FILE (README, \"Replies by e-mail\")"
            ) from exc
        except (IMAPClientError, imaplib.IMAP4.abort, OSError, ssl.SSLError) as exc:
            await self.close()
            raise MailboxError(f"{self.name}: {type(exc).__name__}: {exc}") from exc

    def _open(self) -> int:
        if self._client is None:
            context = self.ssl_context or ssl.create_default_context()
            client = IMAPClient(self.host, port=self.port, ssl=self.security == "tls", ssl_context=context, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls(context)
            client.login(self.username, self._password)
            for folder in (self.processed_folder, self.unmatched_folder):
                if not client.folder_exists(folder):
                    try:
                        client.create_folder(folder)
                    except IMAPClientError:
                        if not client.folder_exists(folder):  # else another client made it a moment ago
                            raise
            self._can_idle = bool(client.has_capability("IDLE"))
            self._can_move = bool(client.has_capability("MOVE"))
            self._uidplus = bool(client.has_capability("UIDPLUS"))
            self._client = client
        info = self._client.select_folder(self.folder)
        return int(info[b"UIDVALIDITY"])

    def _move(self, uids: list[int], folder: str) -> None:
        if self._can_move:
            self._client.move(uids, folder)
            return
        self._client.copy(uids, folder)
        self._client.delete_messages(uids)
        if self._uidplus:
            self._client.uid_expunge(uids)
        else:
            self._client.expunge()

    @staticmethod
    def _pending(client: Any) -> dict[str, Any]:
        """What the server said between commands (imaplib keeps it; IMAPClient has no public view of it)."""
        pending: dict[str, Any] = client._imap.untagged_responses
        return pending

    def _idle(self, timeout: float) -> None:
        client = self._client  # close() may drop it from the loop's thread meanwhile
        if client is None:
            raise MailboxError(f"{self.name}: closed")
        # Mail that arrived while the last pass ran was announced then (an EXISTS among the
        # answers to SEARCH, FETCH or MOVE), not again when IDLE starts: look again at once.
        if self._pending(client).pop("EXISTS", None):
            return
        client.idle()
        try:
            client.idle_check(timeout=timeout)
        finally:
            client.idle_done()


class MaildirMailbox:
    """A local Maildir read like an IMAP folder (``bot.ports.Mailbox``): the demo's mailbox.

    Maildir has no UIDs, so this keeps its own in ``tandem-uids.json`` beside the folders (as
    Dovecot keeps ``dovecot-uidlist``): each message file gets the next number the first time it
    is seen. Filing a message moves it into the ``Tandem-Processed`` or ``Tandem-Unmatched``
    sub-folder.
    """

    UIDVALIDITY = 1

    def __init__(self, path: Path, *, processed_folder: str = "Tandem-Processed", unmatched_folder: str = "Tandem-Unmatched") -> None:
        self.path = Path(path)
        self.name = f"maildir://{self.path.resolve()}"
        self.processed_folder, self.unmatched_folder = processed_folder, unmatched_folder
        self._box = mailbox.Maildir(self.path, create=True)
        self._uids_file = self.path / "tandem-uids.json"

    async def open(self) -> int:
        for folder in (self.processed_folder, self.unmatched_folder):
            if folder not in self._box.list_folders():
                self._box.add_folder(folder)
        return self.UIDVALIDITY

    async def messages_after(self, last_uid: int) -> list[tuple[int, int]]:
        table = self._numbered()
        return sorted((uid, len(self._box.get_bytes(key))) for key, uid in table.items() if uid > last_uid)

    async def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        keys = {uid: key for key, uid in self._numbered().items() if uid in uids}
        return {uid: self._box.get_bytes(key) for uid, key in keys.items()}

    async def file_away(self, uids: Sequence[int], *, matched: bool) -> None:
        folder = self._box.get_folder(self.processed_folder if matched else self.unmatched_folder)
        for key, uid in self._numbered().items():
            if uid in uids:
                folder.add(self._box.get_bytes(key))
                self._box.remove(key)

    async def wait_for_mail(self, timeout: float) -> None:
        await asyncio.sleep(timeout)

    async def close(self) -> None:
        return None

    def _numbered(self) -> dict[str, int]:
        """Each message file of the folder with its UID, numbering the new ones."""
        state: dict[str, Any] = {"next": 1, "uids": {}}
        if self._uids_file.exists():
            state = json.loads(self._uids_file.read_text(encoding="utf-8"))
        keys = set(self._box.keys())
        uids = {key: uid for key, uid in state["uids"].items() if key in keys}
        for key in sorted(keys - set(uids)):
            uids[key] = state["next"]
            state["next"] += 1
        state["uids"] = uids
        temporary = self._uids_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self._uids_file)
        return dict(uids)
