"""Personal sign-in links to the web pages: made when an e-mail is rendered, stored only as a hash.

A link is ``<base_url>/sign-in/<token>``: 32 random bytes (``secrets``, URL-safe), of which only
the SHA-256 is stored, so reading the database signs nobody in. It works once and until
``[web] link_ttl`` (``bot.services.sign_in`` redeems it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from bot.config import Config
from bot.ports import UnitOfWork

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def sign_in_url(config: Config, token: str) -> str:
    return f"{config.web.public_url}/sign-in/{token}"


async def issue_link(uow: UnitOfWork, config: Config, now_utc: datetime, contact_id: int) -> tuple[str, datetime]:
    """A new personal link for ``contact_id`` inside the caller's unit of work: (url, expiry)."""
    token = secrets.token_urlsafe(32)
    expires = now_utc + config.web.link_ttl
    await uow.sign_in_links.add(token_hash=hash_token(token), contact_id=contact_id, now_utc=now_utc, expires_utc=expires)
    return sign_in_url(config, token), expires
