"""The values a test reads back from the offline Bot API: users, messages, taps, calls, faults."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

UtcNow = Callable[[], datetime]
"""Returns the current instant as an aware UTC datetime (e.g. ``ManualClock.now``)."""

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:TANDEM-OFFLINE-TOKEN"
"""A token of the right shape; the number before the colon becomes the bot's user id."""


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
