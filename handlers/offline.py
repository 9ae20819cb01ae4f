"""An offline Telegram: python-telegram-bot's request layer answered by an in-memory Bot API.

Nothing in Tandem may reach Telegram in tests or in ``tandem demo``. The one place where the bot
touches the network is python-telegram-bot's request layer (:class:`telegram.request.BaseRequest`),
so that is the only thing replaced: the real :class:`telegram.Bot`, ``Application``, handlers,
services, rate limiter and job queue all run unchanged. This module provides the stand-in:

* :class:`FakeBotApi` -- what the Bot API server knows about one bot: its chats and the messages
  in them, uploaded files, command menus, pending updates, the webhook. It answers Bot API
  methods with exactly the JSON Telegram sends (``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": ..., "description": ...}``), records every call, and can be told
  to fail the way Telegram fails (:meth:`FakeBotApi.fail_next`, :meth:`FakeBotApi.block`,
  :class:`FloodGuard`).
* :class:`OfflineRequest` -- a ``BaseRequest`` that hands each request to a ``FakeBotApi``
  in-process (for conversation tests and the demo).
* :func:`serve_bot_api` -- the same ``FakeBotApi`` behind a real HTTP endpoint on the loopback
  interface (for the delivery benchmark, where requests must go through httpx).
* The simulated people: :class:`FakeUser` and the update builders :meth:`FakeBotApi.user_sends`
  and :meth:`FakeBotApi.user_taps`.

A conversation test reads like this::

    api = FakeBotApi(clock=lambda: NOW_UTC)
    application = (  # in Tandem: the same factory as ``tandem run``, given these two requests
        ApplicationBuilder()
        .token(api.token)
        .request(OfflineRequest(api))
        .get_updates_request(OfflineRequest(api))
        .build()
    )
    alice = FakeUser(id=1001, first_name="Alice", language_code="de")
    api.meet(alice)  # or let alice's first update introduce her
    async with application:
        start = api.user_sends(alice, "/start")
        await application.process_update(as_update(start, application.bot))
        [welcome] = api.sent_to(alice)
        assert welcome.text.startswith("Willkommen")
        tap = api.user_taps(alice, welcome.message_id, welcome.button("Deutsch").callback_data)
        await application.process_update(as_update(tap, application.bot))
        assert api.sent_to(alice)[0].text != welcome.text        # the edit is visible
        assert api.callback_answer(tap) is not None               # the button was answered

Feeding updates through polling instead (``api.queue_update(...)`` and
``application.updater.start_polling()``) also works. Always replace both request objects (or use
:func:`offline_bot`): a ``Bot`` given only ``request=`` still polls api.telegram.org.

Fidelity, and where it stops. The simulation follows https://core.telegram.org/bots/api for what
Tandem uses; where Telegram's behaviour matters to our code it is copied, including the error
texts our code may match on:

* Message ids increase per chat and are shared by the user's and the bot's messages, as in a
  real private chat. Dates come from the injectable ``clock``.
* ``parse_mode`` HTML and MarkdownV2 are parsed the way Telegram does: the stored ``text`` is the
  plain text the reader sees, and malformed markup is ``400 Bad Request: can't parse entities: ...``
  (an unescaped ``<`` in a city name fails here exactly as it would in production).
* Limits: text 1..4096 UTF-16 units (``message text is empty`` / ``message is too long``), button
  callback data at most 64 bytes (``BUTTON_DATA_INVALID``), command names ``[a-z0-9_]{1,32}``.
* Editing to identical content is ``400 Bad Request: message is not modified: ...`` -- a double tap
  that edits twice meets this error in production, so it meets it here.
* The bot cannot write first: sending to a user who never wrote to the bot is
  ``403 Forbidden: bot can't initiate conversation with a user`` (turn off with
  ``require_known_chats=False``, or introduce the user with :meth:`FakeBotApi.meet`).
* ``getUpdates`` has offset/limit/timeout semantics, long-polls on an asyncio future (returns
  early when an update is queued), answers ``409 Conflict`` while a webhook is set or when a
  second poller takes over.
* Methods are matched case-insensitively, as by Telegram. Bot API methods this module does not
  simulate answer ``404 Not Found: method not found`` (recorded like every call), so a test that
  relies on one fails loudly instead of passing on a made-up answer.
* Entities are not returned, inline mode, groups' member lists and payments are not simulated.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import html
import ipaddress
import itertools
import json
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current instant as an aware UTC datetime."""

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:TANDEM-OFFLINE-TOKEN"
"""A token of the right shape; the number before the colon becomes the bot's user id."""

MAX_TEXT_UTF16_UNITS = 4096
MAX_CALLBACK_DATA_BYTES = 64


# --------------------------------------------------------------------------------------------
# Values the tests read back
# --------------------------------------------------------------------------------------------


class Fault(enum.Enum):
    """The ways Telegram (or the network in between) can answer instead of doing what was asked."""

    RETRY_AFTER = "429 Too Many Requests"
    BLOCKED = "403 Forbidden: bot was blocked by the user"
    MESSAGE_TO_EDIT_NOT_FOUND = "400 Bad Request: message to edit not found"
    BAD_REQUEST = "400 Bad Request (description given)"
    UNAUTHORIZED = "401 Unauthorized"
    NETWORK_ERROR = "connection lost without an answer"
    TIMEOUT = "no answer within the read timeout"

    @property
    def is_network(self) -> bool:
        """Whether the fault happens below HTTP (no status code reaches the client)."""
        return self in (Fault.NETWORK_ERROR, Fault.TIMEOUT)


@dataclass(frozen=True)
class FakeUser:
    """A simulated Telegram user; their private chat with the bot has the same id."""

    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> JSONDict:
        """The ``User`` object as the Bot API sends it."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def private_chat(self) -> JSONDict:
        """The ``Chat`` object of this user's private chat with the bot."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


class Button(tuple[str, str | None]):
    """One inline keyboard button as ``(text, callback_data)``; ``url`` is kept aside.

    A ``Button`` compares equal to the plain tuple ``(text, callback_data)``, so tests can write
    ``assert message.buttons == [[("Yes", "ok:1"), ("No", "no:1")]]``.
    """

    url: str | None

    def __new__(cls, text: str, callback_data: str | None, url: str | None = None) -> Button:
        button = super().__new__(cls, (text, callback_data))
        button.url = url
        return button

    @property
    def text(self) -> str:
        return self[0]

    @property
    def callback_data(self) -> str | None:
        return self[1]


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request: what the recipient will see and its bytes."""

    field_name: str
    file_name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class SentDocument:
    """A document in a chat: the file name the recipient sees and its bytes."""

    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    content: bytes

    def to_dict(self) -> JSONDict:
        """The ``Document`` object as the Bot API sends it."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(frozen=True)
class MessageVersion:
    """A message as it looked after being sent or after one edit."""

    text: str | None
    buttons: list[list[Button]]
    at_utc: datetime
    method: str


@dataclass(frozen=True)
class SentMessage:
    """One message in a chat, as its reader sees it now (edits applied), with its history.

    ``text`` is the text or the caption of a document, after parse_mode markup was applied;
    ``buttons`` are the inline keyboard rows; ``history[0]`` is the message as first sent.
    """

    chat_id: int
    message_id: int
    sender: Literal["bot", "user"]
    text: str | None
    buttons: list[list[Button]]
    document: SentDocument | None
    reply_markup: JSONDict | None
    sent_at_utc: datetime
    deleted: bool
    history: tuple[MessageVersion, ...]
    raw: JSONDict

    @property
    def edited(self) -> bool:
        return len(self.history) > 1

    def button(self, text: str) -> Button:
        """The button labelled exactly ``text``; the error lists the labels there are."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        labels = [button.text for row in self.buttons for button in row]
        raise LookupError(f"no button {text!r} on message {self.message_id}; buttons: {labels}")

    def button_texts(self) -> list[str]:
        """All button labels, row by row."""
        return [button.text for row in self.buttons for button in row]


@dataclass(frozen=True)
class Tap:
    """A button tap by a simulated user and the bot's ``answerCallbackQuery`` parameters.

    ``answer`` is ``None`` while unanswered and ``{}`` after a plain ``query.answer()``.
    """

    query_id: str
    message_id: int
    callback_data: str
    answer: JSONDict | None

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made, and how it was answered."""

    method: str
    params: JSONDict
    files: Mapping[str, UploadedFile]
    at_utc: datetime
    status_code: int | None
    response: JSONDict | None
    fault: Fault | None

    @property
    def ok(self) -> bool:
        return self.status_code == 200 and self.fault is None


@dataclass
class FloodGuard:
    """Telegram's flood limits, enforced with 429 so that our rate limiting can be verified.

    Each limit is a leaky bucket, the model python-telegram-bot's ``AIORateLimiter`` uses
    (aiolimiter): a message adds 1 to the bucket, the bucket drains at ``rate`` per second, and a
    message that would overflow ``burst`` is answered ``429`` with ``retry_after`` = the whole
    seconds until it would fit. Worked numbers for the overall limit (30/s, burst 30) with
    ``tolerance=0``: 30 messages at t=0 fill the bucket; a 31st at t=0.010 s finds 30 - 0.3 = 29.7
    and would make 30.7 > 30, so it gets 429 with retry_after 1; at t=1/30 s the level is 29 and
    it fits.

    ``tolerance`` is the fraction by which a bucket may overflow before 429 (default 10 %, the
    margin issue #6 allows): a sender paced by ``AIORateLimiter`` reaches this guard with jitter
    (its burst of 30 requests queues in the HTTP connection pool while later ones catch up).
    Measured over the loopback endpoint: 150 messages paced by ``AIORateLimiter`` overflowed an
    exact bucket by up to 0.9 of a message (13 answered 429); with the 10 % margin, 300 messages
    met no 429. A sender without rate limiting (about 365 messages/s here) overflows by dozens.
    Telegram documents 1 msg/s per chat, 30/s overall and 20/min per group; note that
    ``AIORateLimiter`` limits overall and per group but not per private chat. Limits apply to
    messages: ``send*`` (except ``sendChatAction``), ``copy*``, ``forward*`` and
    ``editMessage*``. ``time_source`` returns seconds; pass e.g. ``lambda:
    clock().timestamp()`` to measure on the injected clock.
    """

    per_chat_per_second: float = 1.0
    per_chat_burst: float = 1.0
    overall_per_second: float = 30.0
    overall_burst: float = 30.0
    per_group_per_minute: float = 20.0
    tolerance: float = 0.1
    time_source: Callable[[], float] = time.monotonic
    _levels: dict[object, tuple[float, float]] = field(default_factory=dict, repr=False)

    def admit(self, chat_id: int | str | None) -> int | None:
        """Count one message; ``None`` if admitted, else the ``retry_after`` seconds to answer."""
        now = self.time_source()
        buckets: list[tuple[object, float, float]] = [
            ("overall", self.overall_per_second, self.overall_burst)
        ]
        if chat_id is not None:
            buckets.append((("chat", chat_id), self.per_chat_per_second, self.per_chat_burst))
            if isinstance(chat_id, str) or chat_id < 0:
                per_minute = self.per_group_per_minute
                buckets.append((("group", chat_id), per_minute / 60.0, per_minute))
        waits = []
        for key, rate, burst in buckets:
            level = self._level(key, rate, now)
            if level + 1 > burst * (1 + self.tolerance) + 1e-9:  # 1e-9: float drift
                waits.append((level + 1 - burst) / rate)
        if waits:
            return max(1, math.ceil(max(waits)))
        for key, rate, _burst in buckets:
            self._levels[key] = (self._level(key, rate, now) + 1, now)
        return None

    def _level(self, key: object, rate: float, now: float) -> float:
        level, at = self._levels.get(key, (0.0, now))
        return max(0.0, level - (now - at) * rate)


@dataclass(frozen=True)
class ApiAnswer:
    """What the server answered: a status and JSON, or a network fault instead of an answer.

    With a network fault ``payload`` may still be set: the request took effect but its answer was
    lost on the way back (``fail_next(..., applied=True)``).
    """

    status_code: int | None
    payload: JSONDict | None
    network_fault: Fault | None = None
    hold_seconds: float = 0.0


# --------------------------------------------------------------------------------------------
# The simulated server
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """A Bot API error answer; raised inside a method, turned into JSON by ``answer``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _too_many_requests(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def _bad_request(reason: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {reason}")


_BLOCKED = "Forbidden: bot was blocked by the user"
_MENU_BUTTON_TYPES = ("commands", "web_app", "default")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class _PlannedFault:
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
        return self.chat_id is None or _same_chat(params.get("chat_id"), self.chat_id)


@dataclass
class _RandomFaults:
    method: str | None
    probability: float
    kinds: tuple[Fault, ...]
    retry_after: int
    rng: random.Random


@dataclass
class _StoredMessage:
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
            buttons=_buttons_of(self.json.get("reply_markup")),
            document=self.document,
            reply_markup=self.json.get("reply_markup"),
            sent_at_utc=self.sent_at_utc,
            deleted=self.deleted,
            history=tuple(self.history),
            raw=json.loads(json.dumps(self.json)),
        )


@dataclass
class _Chat:
    json: JSONDict
    messages: dict[int, _StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class _CallbackQuery:
    user_id: int
    message_id: int
    data: str
    answer: JSONDict | None = None


_CONFLICT = object()  # the value a superseded getUpdates waiter is woken with


class FakeBotApi:
    """The Bot API server's state for one bot, answering in Bot API JSON and recording each call.

    ``clock`` supplies message dates (an aware UTC datetime; default: the real clock, for the
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
        clock: Clock | None = None,
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
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._calls: list[ApiCall] = []
        self._chats: dict[int | str, _Chat] = {}
        self._files: dict[str, SentDocument] = {}
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._callback_counter = itertools.count(1)
        self._pending_updates: list[JSONDict] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._poll_waiters: list[asyncio.Future[object]] = []
        self._faults: list[_PlannedFault] = []
        self._random_faults: list[_RandomFaults] = []
        self._blocked: set[int | str] = set()
        self._revoked = False
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}
        self._webhook: JSONDict | None = None
        self._methods: dict[str, tuple[str, Callable[[JSONDict, Mapping[str, UploadedFile]], Any]]]
        self._methods = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getChat": self._get_chat,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # ---- the clock --------------------------------------------------------------------------

    def now(self) -> datetime:
        """The injected clock's instant, checked to be aware."""
        instant = self._clock()
        if instant.tzinfo is None:
            raise ValueError(f"the clock must return an aware UTC datetime, got {instant!r}")
        return instant.astimezone(UTC)

    def _unix_now(self) -> int:
        return int(self.now().timestamp())

    # ---- answering requests -----------------------------------------------------------------

    async def answer(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
    ) -> ApiAnswer:
        """Answer one Bot API request (decoded parameters) and record it; used by both transports.

        ``token`` is the token from the request URL; ``None`` skips the check.
        """
        params = dict(params)
        files = dict(files or {})
        known = self._methods.get(method.lower())
        name = known[0] if known else method
        at_utc = self.now()
        fault: Fault | None = None
        hold_seconds = 0.0
        try:
            if self._revoked or (token is not None and token != self.token):
                raise _ApiError(401, "Unauthorized")
            planned = self._take_fault(name, params)
            if planned is not None and planned.kind.is_network:
                fault = planned.kind
                hold_seconds = (
                    self.timeout_hold_seconds
                    if planned.hold_seconds is None
                    else planned.hold_seconds
                )
                if not planned.applied:  # lost on the way in: Telegram never saw it
                    self._record(name, params, files, at_utc, None, None, fault)
                    return ApiAnswer(None, None, fault, hold_seconds)
            elif planned is not None:
                raise self._fault_error(planned)
            if known is None:
                raise _ApiError(404, "Not Found: method not found")
            chat_id = params.get("chat_id")
            if _reaches_the_user(name) and self._is_blocked(chat_id):
                raise _ApiError(403, _BLOCKED)
            if self.flood_guard is not None and _counts_as_message(name):
                retry_after = self.flood_guard.admit(_normalise_chat_id(chat_id))
                if retry_after is not None:
                    raise _too_many_requests(retry_after)
            status, payload = 200, {"ok": True, "result": await known[1](params, files)}
        except _ApiError as error:
            status, payload = error.code, error.payload()
        self._record(name, params, files, at_utc, status, payload, fault)
        return ApiAnswer(status, payload, fault, hold_seconds)

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

    def _take_fault(self, method: str, params: JSONDict) -> _PlannedFault | None:
        for planned in self._faults:
            if planned.matches(method, params):
                planned.remaining -= 1
                if planned.remaining <= 0:
                    self._faults.remove(planned)
                return planned
        for plan in self._random_faults:
            if plan.method is None and not _counts_as_message(method):
                continue
            if plan.method is not None and plan.method != method.lower():
                continue
            if plan.rng.random() < plan.probability:
                kind = plan.rng.choice(plan.kinds)
                return _PlannedFault(None, None, kind, 1, plan.retry_after, None, False, None)
        return None

    @staticmethod
    def _fault_error(planned: _PlannedFault) -> _ApiError:
        if planned.kind is Fault.RETRY_AFTER:
            return _too_many_requests(planned.retry_after)
        if planned.kind is Fault.BLOCKED:
            return _ApiError(403, _BLOCKED)
        if planned.kind is Fault.MESSAGE_TO_EDIT_NOT_FOUND:
            return _bad_request("message to edit not found")
        if planned.kind is Fault.UNAUTHORIZED:
            return _ApiError(401, "Unauthorized")
        description = planned.description or "Bad Request: injected by FakeBotApi.fail_next"
        if not description.startswith("Bad Request: "):
            description = f"Bad Request: {description}"
        return _ApiError(400, description)

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
            _PlannedFault(
                method.lower() if method else None,
                _normalise_chat_id(chat_id),
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
            _RandomFaults(
                method.lower() if method else None,
                probability,
                tuple(kinds),
                retry_after,
                random.Random(seed),
            )
        )

    def block(self, chat_id: int | FakeUser) -> None:
        """The user blocks the bot: every later request for this chat answers 403."""
        self._blocked.add(_chat_key(chat_id))

    def unblock(self, chat_id: int | FakeUser) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(_chat_key(chat_id))

    def revoke_token(self) -> None:
        """The token is revoked in BotFather: every later request answers 401 Unauthorized."""
        self._revoked = True

    def _is_blocked(self, chat_id: object) -> bool:
        return _normalise_chat_id(chat_id) in self._blocked

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
            raise LookupError(f"the bot has sent nothing to chat {_chat_key(chat_id)}")
        return messages[-1]

    def chat_history(
        self, chat_id: int | FakeUser, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Both sides of a chat in message-id order: the user's messages and the bot's."""
        chat = self._chats.get(_chat_key(chat_id))
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
        stored = self._commands.get((_scope_key(scope), language_code), [])
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
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))}
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
        self._callback_queries[query_id] = _CallbackQuery(user.id, message_id, callback_data)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": json.loads(json.dumps(stored.json)),
            "chat_instance": str(_stable_number(f"chat-instance:{chat_key}")),
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

    def _private_chat(self, user: FakeUser) -> _Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = self._chats[user.id] = _Chat(json=user.private_chat())
        return chat

    def _store(
        self,
        chat: _Chat,
        message: JSONDict,
        *,
        sender: Literal["bot", "user"],
        document: SentDocument | None,
        method: str,
    ) -> None:
        sent_at = datetime.fromtimestamp(message["date"], UTC)
        version = MessageVersion(
            text=message.get("text", message.get("caption")),
            buttons=_buttons_of(message.get("reply_markup")),
            at_utc=sent_at,
            method=method,
        )
        chat.messages[message["message_id"]] = _StoredMessage(
            chat_id=chat.json["id"],
            message_id=message["message_id"],
            sender=sender,
            json=message,
            document=document,
            sent_at_utc=sent_at,
            history=[version],
        )

    # ---- Bot API methods --------------------------------------------------------------------

    async def _true(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        return True

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    async def _get_me(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _writable_chat(self, params: JSONDict) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        key = _normalise_chat_id(chat_id)
        chat = self._chats.get(key)
        if chat is not None:
            return chat
        if self.require_known_chats:
            if isinstance(key, int) and key > 0:
                raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad_request("chat not found")
        chat_type = "private" if isinstance(key, int) and key > 0 else "supergroup"
        chat = self._chats[key] = _Chat(json={"id": key, "type": chat_type})
        return chat

    def _outgoing(self, chat: _Chat, params: JSONDict, body: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": chat.next_message_id(),
            "from": self._bot_user(),
            "chat": dict(chat.json),
            "date": self._unix_now(),
            **body,
        }
        reply_markup = _checked_reply_markup(params.get("reply_markup"))
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup  # only inline keyboards are part of a Message
        return message

    async def _send_message(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        chat = self._writable_chat(params)
        text = _rendered_text(params.get("text"), params.get("parse_mode"), required=True)
        message = self._outgoing(chat, params, {"text": text})
        self._store(chat, message, sender="bot", document=None, method="sendMessage")
        return message

    async def _send_document(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat = self._writable_chat(params)
        document = self._document_from(params.get("document"), files)
        body: JSONDict = {"document": document.to_dict()}
        caption = _rendered_text(params.get("caption"), params.get("parse_mode"), limit=1024)
        if caption:
            body["caption"] = caption
        message = self._outgoing(chat, params, body)
        self._store(chat, message, sender="bot", document=document, method="sendDocument")
        return message

    def _document_from(self, value: object, files: Mapping[str, UploadedFile]) -> SentDocument:
        upload: UploadedFile | None = None
        if value is None and "document" in files:
            upload = files["document"]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad_request(f"file {value} not found in the request")
        elif isinstance(value, str) and value in self._files:
            return self._files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _bad_request("failed to get HTTP URL content")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if not upload.content:
            raise _bad_request("file must be non-empty")
        number = next(self._file_counter)
        digest = hashlib.sha256(upload.content).hexdigest()[:16]
        document = SentDocument(
            file_id=f"BQACAgIAAxkBAA{number:06d}{digest}",
            file_unique_id=f"AgAD{digest[:12]}",
            file_name=upload.file_name,
            mime_type=upload.mime_type,
            content=upload.content,
        )
        self._files[document.file_id] = document
        return document

    def _message_to_edit(self, params: JSONDict) -> tuple[_Chat, _StoredMessage]:
        if params.get("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._writable_chat(params)
        stored = chat.messages.get(_int_param(params, "message_id"))
        if stored is None or stored.deleted or stored.sender != "bot":
            raise _bad_request("message to edit not found")
        return chat, stored

    def _apply_edit(self, stored: _StoredMessage, changes: JSONDict, method: str) -> JSONDict:
        before = {key: stored.json.get(key) for key in changes}
        if all(before[key] == value for key, value in changes.items()):
            raise _bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                stored.json.pop(key, None)
            else:
                stored.json[key] = value
        stored.json["edit_date"] = self._unix_now()
        stored.history.append(
            MessageVersion(
                text=stored.json.get("text", stored.json.get("caption")),
                buttons=_buttons_of(stored.json.get("reply_markup")),
                at_utc=datetime.fromtimestamp(stored.json["edit_date"], UTC),
                method=method,
            )
        )
        return json.loads(json.dumps(stored.json))

    def _inline_markup(self, params: JSONDict) -> JSONDict | None:
        markup = _checked_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad_request("inline keyboard expected")
        return markup

    async def _edit_message_text(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        if "text" not in stored.json:
            raise _bad_request("there is no text in the message to edit")
        text = _rendered_text(params.get("text"), params.get("parse_mode"), required=True)
        changes = {"text": text, "reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageText")

    async def _edit_message_caption(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        if "text" in stored.json:
            raise _bad_request("there is no caption in the message to edit")
        caption = _rendered_text(params.get("caption"), params.get("parse_mode"), limit=1024)
        changes = {"caption": caption or None, "reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageCaption")

    async def _edit_message_reply_markup(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        changes = {"reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageReplyMarkup")

    async def _delete_message(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        chat = self._writable_chat(params)
        stored = chat.messages.get(_int_param(params, "message_id"))
        if stored is None or stored.deleted:
            raise _bad_request("message to delete not found")
        stored.deleted = True
        return True

    async def _answer_callback_query(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        query = self._callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query.answer is not None:
            raise _bad_request(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and _utf16_len(str(text)) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answer = {key: value for key, value in params.items() if key != "callback_query_id"}
        return True

    async def _send_chat_action(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        self._writable_chat(params)
        return True

    async def _set_my_commands(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be a list of at most 100 BotCommand objects")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands[key] = [
            {"command": command["command"], "description": command["description"]}
            for command in commands
        ]
        return True

    async def _get_my_commands(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return [dict(command) for command in self._commands.get(key, [])]

    async def _delete_my_commands(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _set_chat_menu_button(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else _normalise_chat_id(chat_id)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
            raise _bad_request("menu button type is invalid")
        self._menu_buttons[key] = dict(button)  # type: ignore[index]
        return True

    async def _get_chat_menu_button(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else _normalise_chat_id(chat_id)
        return dict(self.menu_button(key))  # type: ignore[arg-type]

    async def _get_chat(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        chat = self._chats.get(_normalise_chat_id(params.get("chat_id")))
        if chat is None:
            raise _bad_request("chat not found")
        return {**chat.json, "accent_color_id": 0, "max_reaction_count": 11}

    # getUpdates: offset confirms everything before it; long polling waits on a future that
    # queue_update resolves. A newer getUpdates supersedes a waiting one with 409, as Telegram
    # does when two bot processes poll with one token.

    async def _get_updates(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        if self._webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        self._wake_pollers(_CONFLICT)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        if offset > 0:
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        elif offset < 0:
            self._pending_updates = self._pending_updates[offset:]
        ready = self._deliverable(limit)
        if ready or timeout == 0:
            return ready
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[object] = loop.create_future()
        self._poll_waiters.append(waiter)
        try:
            woken_by = await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            woken_by = None
        finally:
            if waiter in self._poll_waiters:
                self._poll_waiters.remove(waiter)
            if not waiter.done():
                waiter.cancel()
        if woken_by is _CONFLICT:
            raise _ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        return self._deliverable(limit)

    def _deliverable(self, limit: int) -> list[JSONDict]:
        if self._allowed_updates:
            self._pending_updates = [
                update
                for update in self._pending_updates
                if _update_kind(update) in self._allowed_updates
            ]
        return [json.loads(json.dumps(update)) for update in self._pending_updates[:limit]]

    def _wake_pollers(self, value: object) -> None:
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result(value)
        self._poll_waiters.clear()

    async def push_to_webhook(self, update: JSONDict, listen_url: str) -> int:
        """Deliver an update the way Telegram calls a webhook; returns the HTTP status.

        ``listen_url`` is where the bot's own webhook server listens locally (the URL given to
        ``setWebhook`` is the public one and is not called). The secret token set with
        ``setWebhook`` goes into ``X-Telegram-Bot-Api-Secret-Token``, as Telegram sends it.
        """
        import httpx

        if self._webhook is None:
            raise LookupError("no webhook is set: Telegram would not push this update")
        host = urlsplit(listen_url).hostname or ""
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"updates are pushed to loopback addresses only, not {host!r}")
        headers = {"Content-Type": "application/json"}
        if self._webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self._webhook["secret_token"])
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(listen_url, content=json.dumps(update), headers=headers)
        return response.status_code

    def release_pollers(self) -> None:
        """Answer every waiting long poll now (with what is queued); used when shutting down."""
        self._wake_pollers(None)

    async def _set_webhook(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending_updates.clear()
        self._webhook = {
            key: value for key, value in params.items() if key not in ("certificate",)
        }
        self._wake_pollers(_CONFLICT)
        return True

    async def _delete_webhook(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._pending_updates.clear()
        return True

    async def _get_webhook_info(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        info: JSONDict = {
            "url": "" if self._webhook is None else self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if self._webhook is not None:
            info["max_connections"] = int(self._webhook.get("max_connections") or 40)
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = list(self._webhook["allowed_updates"])
        return info


# --------------------------------------------------------------------------------------------
# Parameters, markup and text
# --------------------------------------------------------------------------------------------

# Parameters whose values are strings even when they look like JSON ("42", "true", "[1]").
# Every other parameter arrives JSON-encoded from python-telegram-bot (RequestParameter.json_value
# leaves only str values unencoded) and is decoded, so both transports record the same values.
_STRING_PARAMETERS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
        "language_code", "description", "short_description", "name", "document", "emoji",
        "action", "inline_message_id", "business_connection_id", "message_effect_id",
        "ip_address", "title", "query_id", "certificate",
    }
)


def decode_parameters(raw: Mapping[str, str]) -> JSONDict:
    """Turn request fields (JSON-encoded values, raw strings) into the values the bot meant."""
    decoded: JSONDict = {}
    for name, value in raw.items():
        if name in _STRING_PARAMETERS:
            decoded[name] = value
            continue
        try:
            decoded[name] = json.loads(value)
        except (TypeError, ValueError):
            decoded[name] = value  # e.g. chat_id "@channel"
    return decoded


def offline_bot(api: FakeBotApi) -> Bot:
    """A real ``telegram.Bot`` whose two request objects both answer from ``api``.

    Both matter: a ``Bot`` given only ``request=`` still polls api.telegram.org through its
    default ``get_updates_request``.
    """
    return Bot(api.token, request=OfflineRequest(api), get_updates_request=OfflineRequest(api))


def as_update(update: JSONDict, bot: Bot) -> Update:
    """The ``telegram.Update`` for an update dict, ready for ``Application.process_update``."""
    return Update.de_json(update, bot)


def _normalise_chat_id(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _chat_key(chat: int | FakeUser) -> int:
    return chat.id if isinstance(chat, FakeUser) else chat


def _same_chat(left: object, right: object) -> bool:
    return _normalise_chat_id(left) == _normalise_chat_id(right)


def _int_param(params: JSONDict, name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise _bad_request(f"{name} is invalid") from None


def _reaches_the_user(method: str) -> bool:
    """Whether a blocked user's chat refuses this method (messages, edits, chat actions)."""
    return _counts_as_message(method) or method.lower() == "sendchataction"


def _counts_as_message(method: str) -> bool:
    lower = method.lower()
    if lower == "sendchataction":
        return False
    return lower.startswith(("send", "copymessage", "forwardmessage", "editmessage"))


def _update_kind(update: JSONDict) -> str:
    return next(key for key in update if key != "update_id")


def _scope_key(scope: object) -> str:
    scope = scope or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    normalised = dict(scope)  # type: ignore[call-overload]
    for key in ("chat_id", "user_id"):
        if key in normalised:
            normalised[key] = _normalise_chat_id(normalised[key])
    return json.dumps(normalised, sort_keys=True)


def _stable_number(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _buttons_of(markup: JSONDict | None) -> list[list[Button]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]


def _checked_reply_markup(markup: object) -> JSONDict | None:
    """The reply markup as sent, after Telegram's checks on inline buttons."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise _bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
    return json.loads(json.dumps(markup))


def _rendered_text(
    value: object, parse_mode: object, *, required: bool = False, limit: int = MAX_TEXT_UTF16_UNITS
) -> str:
    """The text the reader sees after parse_mode markup, checked against Telegram's limits."""
    raw = "" if value is None else str(value)
    mode = str(parse_mode or "").lower()
    if mode == "html":
        text = _plain_from_html(raw)
    elif mode == "markdownv2":
        text = _plain_from_markdown_v2(raw)
    elif mode == "markdown":
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw).replace("*", "").replace("_", "")
        text = text.replace("`", "")
    else:
        text = raw
    if required and not text.strip():
        raise _bad_request("message text is empty")
    if _utf16_len(text) > limit:
        kind = "message" if limit == MAX_TEXT_UTF16_UNITS else "message caption"
        raise _bad_request(f"{kind} is too long")
    return text


_HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
        "code", "pre", "blockquote", "tg-emoji", "br",
    }
)
_HTML_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>|<|>")


def _plain_from_html(raw: str) -> str:
    """Strip Telegram-HTML tags; malformed markup is Telegram's ``can't parse entities`` error."""
    parts: list[str] = []
    open_tags: list[str] = []
    position = 0
    for token in _HTML_TOKEN.finditer(raw):
        parts.append(raw[position : token.start()])
        position = token.end()
        offset = len(raw[: token.start()].encode())
        closing, name = token.group(1), token.group(2)
        if name is None:
            if token.group(0) == ">":
                parts.append(">")  # Telegram tolerates a bare '>'
                continue
            raise _bad_request(
                f"can't parse entities: Unexpected end of name token at byte offset {offset}"
            )
        name = name.lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise _bad_request(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {offset}'
            )
        if name == "br":
            raise _bad_request(
                f'can\'t parse entities: Unsupported start tag "br" at byte offset {offset}'
            )
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags[-1] != name:
            expected = f'"</{open_tags[-1]}>"' if open_tags else "no end tag"
            raise _bad_request(
                f"can't parse entities: Unmatched end tag at byte offset {offset}, expected "
                f'{expected}, found "</{name}>"'
            )
        else:
            open_tags.pop()
    if open_tags:
        raise _bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{open_tags[-1]}"'
        )
    parts.append(raw[position:])
    return html.unescape("".join(parts))


_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def _plain_from_markdown_v2(raw: str) -> str:
    """Strip MarkdownV2 markers; an unescaped reserved character is Telegram's error."""
    plain: list[str] = []
    open_markers: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            plain.append(raw[index + 1])
            index += 2
            continue
        if raw.startswith("```", index):
            end = raw.find("```", index + 3)
            if end < 0:
                raise _bad_request("can't parse entities: Can't find end of Pre entity")
            block = raw[index + 3 : end]
            plain.append(block.split("\n", 1)[1] if "\n" in block else block)
            index = end + 3
            continue
        if char == "`":
            end = raw.find("`", index + 1)
            if end < 0:
                raise _bad_request("can't parse entities: Can't find end of Code entity")
            plain.append(raw[index + 1 : end])
            index = end + 1
            continue
        marker = next((m for m in ("||", "__", "*", "_", "~") if raw.startswith(m, index)), None)
        if marker is not None:
            if open_markers and open_markers[-1] == marker:
                open_markers.pop()
            else:
                open_markers.append(marker)
            index += len(marker)
            continue
        if char == "[":
            open_markers.append("[")
            index += 1
            continue
        if char == "]" and open_markers and open_markers[-1] == "[":
            open_markers.pop()
            close = raw.find(")", index)
            if not raw.startswith("(", index + 1) or close < 0:
                raise _bad_request("can't parse entities: Can't find end of a URL")
            index = close + 1
            continue
        if char == ">" and (index == 0 or raw[index - 1] == "\n"):
            index += 1  # a blockquote line
            continue
        if char in _MARKDOWN_V2_RESERVED:
            raise _bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped with "
                "the preceding '\\'"
            )
        plain.append(char)
        index += 1
    if open_markers:
        raise _bad_request(
            f"can't parse entities: Can't find end of the entity starting with '{open_markers[-1]}'"
        )
    return "".join(plain)


# --------------------------------------------------------------------------------------------
# Transport 1: in-process, as python-telegram-bot's request object
# --------------------------------------------------------------------------------------------


def _split_bot_url(url: str) -> tuple[str | None, str]:
    """``https://api.telegram.org/bot<token>/<method>`` -> (token, method)."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    if not segments:
        return None, ""
    method = segments[-1]
    if len(segments) >= 2 and segments[-2].startswith("bot"):
        return segments[-2].removeprefix("bot"), method
    return None, method


def _upload_from_field(name: str, field_tuple: tuple[str, Any, str]) -> UploadedFile:
    file_name, content, mime_type = field_tuple
    data = content if isinstance(content, bytes) else content.read()
    return UploadedFile(field_name=name, file_name=file_name, content=data, mime_type=mime_type)


class OfflineRequest(BaseRequest):
    """python-telegram-bot's request layer answered in-process by a :class:`FakeBotApi`.

    Use one for ``ApplicationBuilder().request(...)`` and another for
    ``.get_updates_request(...)`` -- always both, or polling goes to api.telegram.org; they may
    share a ``FakeBotApi``. Injected network faults are
    raised as ``TimedOut`` / ``NetworkError``, the exceptions ``HTTPXRequest`` raises.
    """

    def __init__(self, api: FakeBotApi, *, read_timeout: float = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: no connections."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the FakeBotApi; see ``BaseRequest.do_request``."""
        token, api_method = _split_bot_url(url)
        raw = request_data.json_parameters if request_data else {}
        files = {
            name: _upload_from_field(name, field_tuple)
            for name, field_tuple in (request_data.multipart_data if request_data else {}).items()
        }
        answer = await self.api.answer(api_method, decode_parameters(raw), files, token=token)
        if answer.network_fault is Fault.TIMEOUT:
            raise TimedOut("Timed out")  # what HTTPXRequest raises for httpx.ReadTimeout
        if answer.network_fault is Fault.NETWORK_ERROR:
            raise NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        assert answer.status_code is not None and answer.payload is not None
        return answer.status_code, json.dumps(answer.payload).encode()


# --------------------------------------------------------------------------------------------
# Transport 2: a real HTTP endpoint on the loopback interface
# --------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve_bot_api(
    api: FakeBotApi,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_body_bytes: int = 50 * 1024 * 1024,
) -> AsyncIterator[str]:
    """Serve ``api`` over HTTP on a loopback address; yields the ``base_url`` for the Bot.

    ``Bot(token, base_url=url)`` / ``ApplicationBuilder().base_url(url)`` then talks to it through
    the real httpx stack. Port 0 picks a free port. Requests larger than ``max_body_bytes`` are
    refused, idle connections close after 30 s, and leaving the context stops the server, answers
    waiting long polls and closes every connection. Network faults: ``NETWORK_ERROR`` drops the
    connection without an answer; ``TIMEOUT`` holds the request for ``hold_seconds`` first.
    """
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"serve_bot_api listens on loopback addresses only, not {host!r}")

    stopping = asyncio.Event()  # set on exit: held requests end at once
    in_flight: set[asyncio.Task[Any]] = set()

    class BotApiHandler(tornado.web.RequestHandler):
        """One Bot API request: ``/bot<token>/<method>``."""

        async def post(self, token: str, method: str) -> None:
            task = asyncio.current_task()
            assert task is not None
            in_flight.add(task)
            try:
                await self._answer(token, method)
            finally:
                in_flight.discard(task)

        get = post

        async def _answer(self, token: str, method: str) -> None:
            content_type = self.request.headers.get("Content-Type", "")
            if content_type.startswith("application/json") and self.request.body:
                params = dict(json.loads(self.request.body))
            else:
                params = decode_parameters(
                    {
                        name: values[-1].decode("utf-8", "replace")
                        for name, values in self.request.arguments.items()
                    }
                )
            files = {
                name: UploadedFile(
                    field_name=name,
                    file_name=parts[-1].filename,
                    content=parts[-1].body,
                    mime_type=parts[-1].content_type,
                )
                for name, parts in self.request.files.items()
            }
            answer = await api.answer(method, params, files, token=token)
            if answer.network_fault is not None:
                if answer.network_fault is Fault.TIMEOUT:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), answer.hold_seconds)
                self.detach().close()  # no status line at all: the client sees a dropped line
                return
            assert answer.status_code is not None
            self.set_status(answer.status_code)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer.payload))

        def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
            _LOGGER.warning("offline Bot API endpoint failed", exc_info=(typ, value, tb))

    def log_request(handler: tornado.web.RequestHandler) -> None:
        # Injected 429s would flood tornado's access log (WARNING) in the benchmark.
        _LOGGER.debug("%s %s", handler.get_status(), handler.request.uri)

    application = tornado.web.Application(
        [(r"/bot([^/]+)/([A-Za-z]+)", BotApiHandler)], log_function=log_request
    )
    server = tornado.httpserver.HTTPServer(
        application, max_body_size=max_body_bytes, idle_connection_timeout=30
    )
    sockets = tornado.netutil.bind_sockets(port, address=host)
    server.add_sockets(sockets)
    bound_port = sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}/bot"
    finally:
        server.stop()
        stopping.set()
        api.release_pollers()
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), 5)


__all__ = [
    "DEFAULT_TOKEN",
    "ApiAnswer",
    "ApiCall",
    "Button",
    "FakeBotApi",
    "FakeUser",
    "Fault",
    "FloodGuard",
    "MessageVersion",
    "OfflineRequest",
    "SentDocument",
    "SentMessage",
    "Tap",
    "UploadedFile",
    "as_update",
    "decode_parameters",
    "offline_bot",
    "serve_bot_api",
]
