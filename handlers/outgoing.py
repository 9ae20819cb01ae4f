"""The one place where messages leave for Telegram, and Telegram's limits kept there.

Telegram refuses (400) a message text over 4,096 UTF-16 code units, a caption over 1,024, a
callback answer over 200 and button data over 64 bytes; the person then gets nothing and the log
an error. Texts are made by many handlers and notices, each usually short, but their length
depends on what people typed and how much the programme holds, so the limits are kept here, where
every request passes (``Bot._do_post``, the hook python-telegram-bot provides for this; its rate
limiter sits in the same place), not at each call site:

* ``sendMessage``: a longer text is sent as several messages, split at line boundaries (a single
  over-long line at a space, a space-free run between characters, never inside a character or
  right before a combining mark), so no link, command or word is cut; the keyboard goes with
  the last part, which is also what the caller gets back.
* ``editMessageText``: an edit cannot become several messages, so a longer text is summarised:
  the whole lines that fit, then "…".
* captions and callback answers are summarised the same way; button labels longer than
  :data:`BUTTON_TEXT_LIMIT` are summarised too (a phone shows about that much); button data over
  64 bytes is a bug in Tandem (``bot.callback_data`` builds all of it) and raises here, before
  Telegram would refuse the whole message.

Lengths are counted in UTF-16 code units, as Telegram counts them (an emoji or a rare CJK
character outside the BMP counts twice). Tandem sends plain text only; the one HTML message (the
error report to the admin chat) is short by construction.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_BYTES = 64
BUTTON_TEXT_LIMIT = 64
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(word: str, limit: int) -> int:
    """How many characters of ``word`` fit in ``limit`` units, stepping back off a combining mark,
    a joiner or a variation selector so that no visible character is split."""
    used, end = 0, 0
    for char in word:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit:
            break
        used, end = used + size, end + 1
    while 0 < end < len(word) and (unicodedata.combining(word[end]) or word[end] in "\u200d\ufe0e\ufe0f" or word[end - 1] == "\u200d"):
        end -= 1
    return end or 1


def _line_pieces(line: str, limit: int) -> list[str]:
    """One line as pieces of at most ``limit`` units: cut after a space, else between characters."""
    pieces: list[str] = []
    while utf16_len(line) > limit:
        end = _hard_cut(line, limit)
        space = line.rfind(" ", 0, end + 1)
        if space > 0:
            end = space + 1
        pieces.append(line[:end].rstrip(" ") or line[:end])
        line = line[end:]
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as consecutive parts of at most ``limit`` UTF-16 units, cut at line boundaries
    where possible; blank parts are dropped (Telegram refuses an empty message)."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for piece in _line_pieces(line, limit):
            candidate = piece if current is None else current + "\n" + piece
            if utf16_len(candidate) <= limit:
                current = candidate
            else:
                if current is not None:
                    parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[: _hard_cut(text, limit)]]


def summarise(text: str, limit: int) -> str:
    """``text`` if it fits, else the whole lines (or words) that fit with "…" after them."""
    if utf16_len(text) <= limit:
        return text
    short = split_text(text, limit - utf16_len(ELLIPSIS))[0].rstrip() + ELLIPSIS
    return short if utf16_len(short) <= limit else ELLIPSIS  # a limit of one unit and an emoji


def _guarded_markup(markup: object) -> object:
    """Button labels summarised; button data checked (longer data is Tandem's bug, not input)."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return markup
    rows = []
    for row in markup.inline_keyboard:
        buttons = []
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and len(data.encode()) > CALLBACK_DATA_BYTES:
                raise ValueError(f"button data {data[:80]!r} is longer than {CALLBACK_DATA_BYTES} bytes")
            if utf16_len(button.text) > BUTTON_TEXT_LIMIT:
                button = InlineKeyboardButton.de_json({**button.to_dict(), "text": summarise(button.text, BUTTON_TEXT_LIMIT)}, None)
            buttons.append(button)
        rows.append(buttons)
    return InlineKeyboardMarkup(rows)


class LimitedBot(ExtBot[None]):
    """Tandem's bot: python-telegram-bot's, with Telegram's limits applied to every request."""

    async def _do_post(
        self,
        endpoint: str,
        data: JSONDict,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> Any:
        timeouts: dict[str, Any] = {
            "read_timeout": read_timeout, "write_timeout": write_timeout, "connect_timeout": connect_timeout, "pool_timeout": pool_timeout,
        }
        data = dict(data)
        if "reply_markup" in data:
            data["reply_markup"] = _guarded_markup(data["reply_markup"])
        method = endpoint.lower()
        text = data.get("text")
        if method == "answercallbackquery" and isinstance(text, str):
            data["text"] = summarise(text, CALLBACK_ANSWER_LIMIT)
        elif method == "editmessagetext" and isinstance(text, str):
            data["text"] = summarise(text, TEXT_LIMIT)
        elif method == "sendmessage" and isinstance(text, str) and utf16_len(text) > TEXT_LIMIT:
            *first_parts, last = split_text(text, TEXT_LIMIT)
            for part in first_parts:  # the keyboard, and the answer the caller reads, go with the last
                await super()._do_post(endpoint, {**{k: v for k, v in data.items() if k != "reply_markup"}, "text": part}, **timeouts)
            data["text"] = last
        caption = data.get("caption")
        if isinstance(caption, str):
            data["caption"] = summarise(caption, CAPTION_LIMIT)
        return await super()._do_post(endpoint, data, **timeouts)
