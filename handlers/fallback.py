"""Everything no other handler took: free text by conversation step, unknown commands, stale buttons.

The step a person is in lives in the database (``conversations``), so a restart between the
question and the answer loses nothing: the free text is routed by the stored step.
"""

from __future__ import annotations

from telegram import Update

from bot.domain import excerpt
from bot.services.availability import AWAY_STEP, HOURS_STEP
from bot.services.interests import NOTE_STEP
from bot.services.sessions import CANCEL_REASON_STEP, NEXT_STEPS_STEP
from handlers import hours, sessions, topics
from handlers.context import TandemContext
from handlers.help import help_text
from handlers.texts import replies_to_errors, t

# Conversation steps and the handler that reads the free text each one waits for.
STEPS = {
    HOURS_STEP: hours.type_hours,
    AWAY_STEP: hours.type_days_away,
    NOTE_STEP: topics.save_note,
    CANCEL_REASON_STEP: sessions.cancel_with_reason,
    NEXT_STEPS_STEP: sessions.save_next_steps,
}


async def free_text(update: Update, context: TandemContext) -> None:
    """Text that is no command: the answer the person's step waits for, else help."""
    step_handler = STEPS.get(context.person.waiting_for or "")
    if step_handler is not None:
        await step_handler(update, context)
        return
    await update.effective_message.reply_text(
        t(context.language, "I did not expect a message here.") + "\n\n" + help_text(context.person, context.services.config.programme.name)
    )


async def unknown_command(update: Update, context: TandemContext) -> None:
    """A command this bot does not know (or not for this person): say so, then help."""
    command = (update.effective_message.text or "").split()[0]
    await update.effective_message.reply_text(
        t(context.language, "I do not know the command {command}.", command=excerpt(command)) + "\n\n" + help_text(context.person, context.services.config.programme.name)
    )


@replies_to_errors
async def cancel(update: Update, context: TandemContext) -> None:
    """/cancel: stop waiting for free text."""
    stopped = await context.services.people.stop_waiting(by=context.actor)
    if stopped:
        await update.effective_message.reply_text(t(context.language, "Cancelled. What next? /help lists what you can do."))
    else:
        await update.effective_message.reply_text(t(context.language, "There was nothing to cancel."))


async def stale_button(update: Update, context: TandemContext) -> None:
    """A button no handler knows (an old keyboard, or forged data): a polite answer, no change."""
    await update.callback_query.answer(
        t(context.language, "This button is not valid any more. Please use the latest message, or the menu."), show_alert=True
    )
