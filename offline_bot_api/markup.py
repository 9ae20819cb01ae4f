"""What Telegram does with a message's text and keyboard: parse_mode markup, limits, button data.

The stored text is the plain text the reader sees; malformed markup is Telegram's own
``400 Bad Request: can't parse entities: ...`` (an unescaped ``<`` in a city name fails here
exactly as it would in production).
"""

from __future__ import annotations

import html
import json
import re

from offline_bot_api.errors import bad_request
from offline_bot_api.values import Button, JSONDict

MAX_TEXT_UTF16_UNITS = 4096
MAX_CALLBACK_DATA_BYTES = 64


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def buttons_of(markup: JSONDict | None) -> list[list[Button]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]


def checked_reply_markup(markup: object) -> JSONDict | None:
    """The reply markup as sent, after Telegram's checks on inline buttons."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
    copy: JSONDict = json.loads(json.dumps(markup))  # what was sent, not a reference into the request
    return copy


def rendered_text(
    value: object, parse_mode: object, *, required: bool = False, limit: int = MAX_TEXT_UTF16_UNITS
) -> str:
    """The text the reader sees after parse_mode markup, checked against Telegram's limits."""
    raw = "" if value is None else str(value)
    mode = str(parse_mode or "").lower()
    if mode == "html":
        text = plain_from_html(raw)
    elif mode == "markdownv2":
        text = plain_from_markdown_v2(raw)
    elif mode == "markdown":
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw).replace("*", "").replace("_", "")
        text = text.replace("`", "")
    else:
        text = raw
    if required and not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > limit:
        kind = "message" if limit == MAX_TEXT_UTF16_UNITS else "message caption"
        raise bad_request(f"{kind} is too long")
    return text


_HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
        "code", "pre", "blockquote", "tg-emoji", "br",
    }
)
_HTML_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>|<|>")


def plain_from_html(raw: str) -> str:
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
            raise bad_request(
                f"can't parse entities: Unexpected end of name token at byte offset {offset}"
            )
        name = name.lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise bad_request(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {offset}'
            )
        if name == "br":
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "br" at byte offset {offset}'
            )
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags[-1] != name:
            expected = f'"</{open_tags[-1]}>"' if open_tags else "no end tag"
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset {offset}, expected "
                f'{expected}, found "</{name}>"'
            )
        else:
            open_tags.pop()
    if open_tags:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{open_tags[-1]}"'
        )
    parts.append(raw[position:])
    return html.unescape("".join(parts))


_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def plain_from_markdown_v2(raw: str) -> str:
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
                raise bad_request("can't parse entities: Can't find end of Pre entity")
            block = raw[index + 3 : end]
            plain.append(block.split("\n", 1)[1] if "\n" in block else block)
            index = end + 3
            continue
        if char == "`":
            end = raw.find("`", index + 1)
            if end < 0:
                raise bad_request("can't parse entities: Can't find end of Code entity")
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
                raise bad_request("can't parse entities: Can't find end of a URL")
            index = close + 1
            continue
        if char == ">" and (index == 0 or raw[index - 1] == "\n"):
            index += 1  # a blockquote line
            continue
        if char in _MARKDOWN_V2_RESERVED:
            raise bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped with "
                "the preceding '\\'"
            )
        plain.append(char)
        index += 1
    if open_markers:
        raise bad_request(
            f"can't parse entities: Can't find end of the entity starting with '{open_markers[-1]}'"
        )
    return "".join(plain)
