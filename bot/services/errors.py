"""Domain errors that carry a translatable message: the msgid and its values travel with the error.

A service raises ``user_error(InvalidInputError, "Unknown time zone \"{zone}\".", zone=text)``;
the handler shows ``gettext(language, exc.msgid, **exc.values)``, so the person reads the
reason in their own language while logs and the CLI read the English text.
"""

from __future__ import annotations

from typing import TypeVar

from bot.domain import TandemError

E = TypeVar("E", bound=TandemError)


def user_error(kind: type[E], msgid: str, **values: object) -> E:
    """An error of ``kind`` whose text is ``msgid`` filled with ``values`` (English in ``str()``)."""
    error = kind(msgid.format(**values) if values else msgid)
    error.msgid = msgid
    error.values = values
    return error
