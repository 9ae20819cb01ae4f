"""The global error handler: log first, then tell the admin chat (never the token)."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import normalize_language
from handlers.texts import tell_sender_it_failed

log = logging.getLogger(__name__)


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an unexpected error, then report it to the configured admin chat.

    PTB sends errors of updates and of jobs here alike; a job's has no update and names the job,
    and is reported as that job's, so whoever reads the log looks in the right place.
    """
    job = getattr(context, "job", None)
    where = f"in the job {job.name!r}" if update is None and job is not None else "while handling an update"
    log.error("unexpected error %s", where, exc_info=context.error)
    if isinstance(update, Update):  # a person is waiting for an answer: say it failed
        # The error handler's context is a new one, without the person found for the update:
        # their language as Telegram says it.
        user = update.effective_user
        await tell_sender_it_failed(update, normalize_language(user.language_code if user else None))
    config = context.bot_data.get("config")
    admin_chat = getattr(getattr(config, "telegram", None), "admin_chat_id", None)
    if admin_chat is None:
        return
    text = (
        f"Tandem hit an unexpected error {html.escape(where)}: "
        f"<code>{html.escape(type(context.error).__name__)}: {html.escape(str(context.error))[:500]}</code>"
    )
    try:
        await context.bot.send_message(admin_chat, text, parse_mode="HTML")
    except Exception:  # noqa: BLE001 - the report is best effort; the log already has the error
        log.warning("could not report the error to the admin chat %s", admin_chat)
