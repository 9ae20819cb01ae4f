"""Telegram Mini App sign-in: the ``initData`` check, exactly as Telegram documents it.

Telegram opens a Mini App with ``tgWebAppData`` in the URL fragment: a query string of fields
(``user``, ``auth_date``, ``query_id``, ``signature`` …) and a ``hash``. It proves who opened the app
when (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):

    data_check_string = "\\n".join(f"{key}={value}" for every field but hash, sorted by key)
    secret_key        = HMAC_SHA256(key="WebAppData", msg=bot_token)
    hash              = hex(HMAC_SHA256(key=secret_key, msg=data_check_string))

Only the bot's own token makes the same hash, so initData of another bot, or edited initData,
is refused; ``auth_date`` older than the allowed age is refused, so a copied initData cannot be
replayed for long. Pure: ``now`` is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from bot.domain import InvalidInputError

MAX_INIT_DATA_LENGTH = 8192  # Telegram's is a few hundred bytes; anything far larger is not from it


@dataclass(frozen=True)
class MiniAppUser:
    telegram_user_id: int
    first_name: str
    language_code: str | None
    auth_utc: datetime


def init_data_hash(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts in initData for these fields (everything but ``hash``)."""
    data_check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret_key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret_key, data_check_string.encode(), hashlib.sha256).hexdigest()


def verify_init_data(init_data: str, bot_token: str, *, now_utc: datetime, max_age: timedelta) -> MiniAppUser:
    """The Telegram user who opened the Mini App, or ``InvalidInputError`` saying what is wrong."""
    if not init_data or len(init_data) > MAX_INIT_DATA_LENGTH or not bot_token:
        raise InvalidInputError("initData is missing or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInputError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInputError("initData repeats a field")
    received = fields.get("hash", "")
    if not hmac.compare_digest(init_data_hash(fields, bot_token), received):
        raise InvalidInputError("initData is not signed with this bot's token")
    try:
        auth_utc = datetime.fromtimestamp(int(fields["auth_date"]), tz=timezone.utc)
        user = json.loads(fields["user"])
        telegram_user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidInputError("initData lacks auth_date or user") from None
    if now_utc - auth_utc > max_age:
        raise InvalidInputError("initData is too old; open the app again from the chat")
    if auth_utc - now_utc > timedelta(minutes=5):  # a clock far ahead of ours is no proof of freshness
        raise InvalidInputError("initData is dated in the future")
    return MiniAppUser(telegram_user_id, str(user.get("first_name", "")), user.get("language_code"), auth_utc)


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would build it for these fields (the demo and tests play Telegram)."""
    from urllib.parse import urlencode

    return urlencode({**fields, "hash": init_data_hash(fields, bot_token)})
