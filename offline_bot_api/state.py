"""The Bot API server's state for one bot: chats and messages, files, updates, planned faults.

:class:`BotApiState` keeps what Telegram's server knows and offers the read-backs tests use
(``sent_to``, ``calls``, ``callback_answer`` …), fault injection (``fail_next``, ``block`` …) and
the simulated people's side (``user_sends``, ``user_taps``). The Bot API methods that change this
state when the bot calls them live in :mod:`offline_bot_api.api`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from offline_bot_api.errors import BLOCKED, ApiError, bad_request, too_many_requests
from offline_bot_api.flood import FloodGuard
from offline_bot_api.markup import buttons_of, utf16_len
from offline_bot_api.values import (
    DEFAULT_TOKEN,
    ApiCall,
    FakeUser,
    Fault,
    JSONDict,
    MessageVersion,
    SentDocument,
    SentMessage,
    Tap,
    UploadedFile,
    UtcNow,
)


@dataclass
class PlannedFault:
    method: str | None  # lower-case method name, None for any
    chat_id: int | str | None
    kind: Fault
    remaining: int
    retry_after: int
    description: str | None
    applied: bool
    hold_seconds: float | None

    def matches(self, method: str, params: JSONDict) -> bool:
        if self.method is not None and self.method != method.lower():
            return False
        return self.chat_id is None or same_chat(params.get("chat_id"), self.chat_id)


@dataclass
class RandomFaults:
    method: str | None
    probability: float
    kinds: tuple[Fault, ...]
    retry_after: int
    rng: random.Random


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    sender: Literal["bot", "user"]
    json: JSONDict
    document: SentDocument | None
    sent_at_utc: datetime
    history: list[MessageVersion]
    deleted: bool = False

    def snapshot(self) -> SentMessage:
        return SentMessage(
            chat_id=self.chat_id,
            message_id=self.message_id,
            sender=self.sender,
            text=self.json.get("text", self.json.get("caption")),
            buttons=buttons_of(self.json.get("reply_markup")),
            document=self.document,
            reply_markup=self.json.get("reply_markup"),
            sent_at_utc=self.sent_at_utc,
            deleted=self.deleted,
            history=tuple(self.history),
            raw=json.loads(json.dumps(self.json)),
        )


@dataclass
class ChatState:
    json: JSONDict
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class CallbackQueryState:
    user_id: int
    message_id: int
    data: str
    answer: JSONDict | None = None


CONFLICT = object()  # the value a superseded getUpdates waiter is woken with


class BotApiState:
    """What the Bot API server knows about one bot, and how a test reads it back or bends it.

    ``now`` supplies message dates (an aware UTC datetime; default: the real clock, for the
    demo). ``flood_guard`` enables 429 answers for traffic above Telegram's limits.
    ``timeout_hold_seconds`` is how long the HTTP endpoint holds a request it is told to time out
    before dropping the connection; clients whose read timeout is shorter see ``TimedOut``.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "tandem_demo_bot",
        first_name: str = "Tandem",
        now: UtcNow | None = None,
        flood_guard: FloodGuard | None = None,
        require_known_chats: bool = True,
        timeout_hold_seconds: float = 1.0,
    ) -> None:
        bot_id_text = token.split(":", 1)[0]
        self.token = token
        self.bot_id = int(bot_id_text) if bot_id_text.isdigit() else 1
        self.username = username
        self.first_name = first_name
        self.flood_guard = flood_guard
        self.require_known_chats = require_known_chats
        self.timeout_hold_seconds = timeout_hold_seconds
        self._now: UtcNow = now or (lambda: datetime.now(UTC))
        self._calls: list[ApiCall] = []
        self._chats: dict[int | str, ChatState] = {}
        self._files: dict[str, SentDocument] = {}
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, CallbackQueryState] = {}
        self._callback_counter = itertools.count(1)
        self._pending_updates: list[JSONDict] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._poll_waiters: list[asyncio.Future[object]] = []
        self._faults: list[PlannedFault] = []
        self._random_faults: list[RandomFaults] = []
        self._blocked: set[int | str] = set()
        self._revoked = False
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}
        self._webhook: JSONDict | None = None

    # ---- the time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The injected instant (``now``), checked to be aware."""
        instant = self._now()
        if instant.tzinfo is None:
            raise ValueError(f"``now`` must return an aware UTC datetime, got {instant!r}")
        return instant.astimezone(UTC)

    def _unix_now(self) -> int:
        return int(self.now().timestamp())

    def _record(
        self,
        method: str,
        params: JSONDict,
        files: Mapping[str, UploadedFile],
        at_utc: datetime,
        status: int | None,
        payload: JSONDict | None,
        fault: Fault | None,
    ) -> None:
        self._calls.append(ApiCall(method, params, files, at_utc, status, payload, fault))

    def _take_fault(self, method: str, params: JSONDict) -> PlannedFault | None:
        for planned in self._faults:
            if planned.matches(method, params):
                planned.remaining -= 1
                if planned.remaining <= 0:
                    self._faults.remove(planned)
                return planned
        for plan in self._random_faults:
            if plan.method is None and not counts_as_message(method):
                continue
            if plan.method is not None and plan.method != method.lower():
                continue
            if plan.rng.random() < plan.probability:
                kind = plan.rng.choice(plan.kinds)
                return PlannedFault(None, None, kind, 1, plan.retry_after, None, False, None)
        return None

    @staticmethod
    def _fault_error(planned: PlannedFault) -> ApiError:
        if planned.kind is Fault.RETRY_AFTER:
            return too_many_requests(planned.retry_after)
        if planned.kind is Fault.BLOCKED:
            return ApiError(403, BLOCKED)
        if planned.kind is Fault.MESSAGE_TO_EDIT_NOT_FOUND:
            return bad_request("message to edit not found")
        if planned.kind is Fault.UNAUTHORIZED:
            return ApiError(401, "Unauthorized")
        description = planned.description or "Bad Request: injected by FakeBotApi.fail_next"
        if not description.startswith("Bad Request: "):
            description = f"Bad Request: {description}"
        return ApiError(400, description)

    # ---- fault injection --------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        chat_id: int | str | None = None,
        kind: Fault = Fault.RETRY_AFTER,
        count: int = 1,
        *,
        retry_after: int = 5,
        description: str | None = None,
        applied: bool = False,
        hold_seconds: float | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (to ``chat_id``, if given) with ``kind``.

        ``method`` ``None`` matches any method. ``retry_after`` is for ``RETRY_AFTER``;
        ``description`` for ``BAD_REQUEST`` (e.g. ``"Bad Request: chat not found"``). For the
        network kinds, ``applied=True`` means Telegram carried the request out and only the
        answer was lost -- the case where a retry sends a message twice. ``hold_seconds``
        overrides ``timeout_hold_seconds`` for the HTTP endpoint. Planned faults are used in the
        order they were planned.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if applied and not kind.is_network:
            raise ValueError(f"applied=True only makes sense for network faults, not {kind}")
        self._faults.append(
            PlannedFault(
                method.lower() if method else None,
                normalise_chat_id(chat_id),
                kind,
                count,
                retry_after,
                description,
                applied,
                hold_seconds,
            )
        )

    def fail_randomly(
        self,
        probability: float,
        kinds: Sequence[Fault] = (Fault.RETRY_AFTER, Fault.TIMEOUT),
        *,
        method: str | None = None,
        retry_after: int = 1,
        seed: int = 0,
    ) -> None:
        """Answer each call with probability ``probability`` with one of ``kinds``, at random.

        ``method`` ``None`` means every message the bot sends or edits (the calls Telegram's
        flood limits count), so ``getMe`` at start and polling are left alone. Seeded: the same
        sequence of calls fails the same calls. Random network faults are never ``applied``.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within 0..1, got {probability}")
        self._random_faults.append(
            RandomFaults(
                method.lower() if method else None,
                probability,
                tuple(kinds),
                retry_after,
                random.Random(seed),
            )
        )

    def block(self, chat_id: int | FakeUser) -> None:
        """The user blocks the bot: every later request for this chat answers 403."""
        self._blocked.add(chat_key(chat_id))

    def unblock(self, chat_id: int | FakeUser) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(chat_key(chat_id))

    def revoke_token(self) -> None:
        """The token is revoked in BotFather: every later request answers 401 Unauthorized."""
        self._revoked = True

    def _is_blocked(self, chat_id: object) -> bool:
        return normalise_chat_id(chat_id) in self._blocked

    # ---- read-backs -------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every recorded call, or those of one method (case-insensitive)."""
        if method is None:
            return list(self._calls)
        return [call for call in self._calls if call.method.lower() == method.lower()]

    def sent_to(
        self, chat_id: int | FakeUser, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """What the bot has sent into a chat, in order, each as it looks now."""
        return [
            message
            for message in self.chat_history(chat_id, include_deleted=include_deleted)
            if message.sender == "bot"
        ]

    def last_sent_to(self, chat_id: int | FakeUser) -> SentMessage:
        """The bot's latest message in a chat; LookupError if there is none."""
        messages = self.sent_to(chat_id)
        if not messages:
            raise LookupError(f"the bot has sent nothing to chat {chat_key(chat_id)}")
        return messages[-1]

    def chat_history(
        self, chat_id: int | FakeUser, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Both sides of a chat in message-id order: the user's messages and the bot's."""
        chat = self._chats.get(chat_key(chat_id))
        if chat is None:
            return []
        return [
            stored.snapshot()
            for stored in chat.messages.values()
            if include_deleted or not stored.deleted
        ]

    def chats(self) -> list[int | str]:
        """The ids of every chat the server knows, in the order they appeared."""
        return list(self._chats)

    def callback_answer(self, query: JSONDict | str) -> JSONDict | None:
        """The bot's ``answerCallbackQuery`` parameters for a tap (update or query id).

        ``None`` while unanswered; ``{}`` after a plain ``query.answer()`` -- so test with
        ``is not None``, not truthiness.
        """
        query_id = query if isinstance(query, str) else query["callback_query"]["id"]
        known = self._callback_queries.get(query_id)
        if known is None:
            raise LookupError(f"no callback query {query_id!r} was made by user_taps")
        return known.answer

    def taps_by(self, user: FakeUser) -> list[Tap]:
        """The user's button taps in order, each with the bot's answer (``None`` if unanswered)."""
        return [
            Tap(query_id, query.message_id, query.data, query.answer)
            for query_id, query in self._callback_queries.items()
            if query.user_id == user.id
        ]

    def command_menus(self) -> list[tuple[JSONDict, str, list[tuple[str, str]]]]:
        """Every command menu set: ``(scope, language_code, [(command, description), ...])``."""
        return [
            (json.loads(scope), language, [(c["command"], c["description"]) for c in commands])
            for (scope, language), commands in self._commands.items()
        ]

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The command menu set for a scope and language, as ``(command, description)`` pairs."""
        stored = self._commands.get((scope_key(scope), language_code), [])
        return [(command["command"], command["description"]) for command in stored]

    def menu_button(self, chat_id: int | None = None) -> JSONDict:
        """The menu button of a chat (or the default one)."""
        return self._menu_buttons.get(chat_id, self._menu_buttons.get(None, {"type": "commands"}))

    def webhook(self) -> JSONDict | None:
        """The webhook parameters set with ``setWebhook``, or ``None``."""
        return None if self._webhook is None else dict(self._webhook)

    def document_files(self) -> list[tuple[int | str, SentDocument]]:
        """Every document the bot sent, with the chat it went to, in order."""
        return [
            (chat_key, stored.document)
            for chat_key, chat in self._chats.items()
            for stored in chat.messages.values()
            if stored.sender == "bot" and stored.document is not None
        ]

    # ---- the simulated users ----------------------------------------------------------------

    def meet(self, user: FakeUser) -> None:
        """Make the user's private chat known (as if they had started the bot earlier)."""
        self._private_chat(user)

    def user_sends(self, user: FakeUser, text: str) -> JSONDict:
        """A ``message`` update: ``user`` writes ``text`` in their private chat with the bot.

        A leading ``/command`` (optionally ``/command@botname``) gets a ``bot_command`` entity,
        so ``/start CODE`` is a deep link with ``context.args == ["CODE"]``. The message is
        stored in the chat, so message ids stay in step with the bot's. Returns the update dict;
        queue it with :meth:`queue_update` or pass it to ``Application.process_update`` via
        :func:`as_update`.
        """
        chat = self._private_chat(user)
        message: JSONDict = {
            "message_id": chat.next_message_id(),
            "from": user.to_dict(),
            "chat": dict(chat.json),
            "date": self._unix_now(),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        self._store(chat, message, sender="user", document=None, method="user")
        return self._new_update("message", message)

    def user_taps(
        self, user: FakeUser, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> JSONDict:
        """A ``callback_query`` update: ``user`` taps a button with ``callback_data``.

        The update carries the message as it looks now (edits applied), as Telegram sends it.
        ``callback_data`` is not checked against the buttons on purpose: forged and stale data are
        what the permission tests send. The message must exist in the chat (default: the user's
        private chat) -- nobody can tap a message that was never there.
        """
        chat_key = user.id if chat_id is None else chat_id
        chat = self._chats.get(chat_key)
        stored = chat.messages.get(message_id) if chat else None
        if stored is None or stored.sender != "bot" or stored.deleted:
            raise LookupError(f"there is no bot message {message_id} to tap in chat {chat_key}")
        query_id = str(next(self._callback_counter))
        self._callback_queries[query_id] = CallbackQueryState(user.id, message_id, callback_data)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": json.loads(json.dumps(stored.json)),
            "chat_instance": str(stable_number(f"chat-instance:{chat_key}")),
            "data": callback_data,
        }
        return self._new_update("callback_query", query)

    def queue_update(self, update: JSONDict) -> JSONDict:
        """Make an update available to ``getUpdates`` (waking a long poll) and return it."""
        self._pending_updates.append(update)
        self._wake_pollers(None)
        return update

    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by a later ``getUpdates`` offset."""
        return list(self._pending_updates)

    def _new_update(self, kind: str, body: JSONDict) -> JSONDict:
        self._last_update_id += 1
        return {"update_id": self._last_update_id, kind: body}

    def _private_chat(self, user: FakeUser) -> ChatState:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = self._chats[user.id] = ChatState(json=user.private_chat())
        return chat

    def _store(
        self,
        chat: ChatState,
        message: JSONDict,
        *,
        sender: Literal["bot", "user"],
        document: SentDocument | None,
        method: str,
    ) -> None:
        sent_at = datetime.fromtimestamp(message["date"], UTC)
        version = MessageVersion(
            text=message.get("text", message.get("caption")),
            buttons=buttons_of(message.get("reply_markup")),
            at_utc=sent_at,
            method=method,
        )
        chat.messages[message["message_id"]] = StoredMessage(
            chat_id=chat.json["id"],
            message_id=message["message_id"],
            sender=sender,
            json=message,
            document=document,
            sent_at_utc=sent_at,
            history=[version],
        )

    def _wake_pollers(self, value: object) -> None:
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result(value)
        self._poll_waiters.clear()

    def release_pollers(self) -> None:
        """Answer every waiting long poll now (with what is queued); used when shutting down."""
        self._wake_pollers(None)


def normalise_chat_id(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def chat_key(chat: int | FakeUser) -> int:
    return chat.id if isinstance(chat, FakeUser) else chat


def same_chat(left: object, right: object) -> bool:
    return normalise_chat_id(left) == normalise_chat_id(right)


def int_param(params: JSONDict, name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise bad_request(f"{name} is invalid") from None


def reaches_the_user(method: str) -> bool:
    """Whether a blocked user's chat refuses this method (messages, edits, chat actions)."""
    return counts_as_message(method) or method.lower() == "sendchataction"


def counts_as_message(method: str) -> bool:
    lower = method.lower()
    if lower == "sendchataction":
        return False
    return lower.startswith(("send", "copymessage", "forwardmessage", "editmessage"))


def update_kind(update: JSONDict) -> str:
    return next(key for key in update if key != "update_id")


def scope_key(scope: object) -> str:
    scope = scope or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    normalised = dict(scope)  # type: ignore[call-overload]
    for key in ("chat_id", "user_id"):
        if key in normalised:
            normalised[key] = normalise_chat_id(normalised[key])
    return json.dumps(normalised, sort_keys=True)


def stable_number(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)
