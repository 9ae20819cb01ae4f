"""Inline keyboards and the one way to show a changed message in place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.ports import Notification


def keyboard(rows: Iterable[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data) as an inline keyboard."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


def of(notification: Notification) -> InlineKeyboardMarkup | None:
    """A rendered message's buttons as an inline keyboard (None: it has none)."""
    if not notification.buttons:
        return None
    return keyboard([(button.text, button.data) for button in row] for row in notification.buttons)


async def show(query: CallbackQuery | None, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the pressed message in place; an identical edit (a double tap) is not an error."""
    assert query is not None  # button handlers only
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "message is not modified" not in error.message.lower():
            raise
