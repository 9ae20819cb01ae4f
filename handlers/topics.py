"""/topics: the programme's topics as a multi-select keyboard with ✅ toggles and a note per topic."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callback_data
from bot.services.interests import TopicsView
from handlers import keyboards
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t

CHOSEN, NOT_CHOSEN, NOTE = "✅", "▫️", "📝"


def topics_text(view: TopicsView, language: str) -> str:
    lines = [t(language, "Topics for {city}. Tap a topic to choose it or to drop it; 📝 adds a note.", city=view.city.name)]
    for choice in view.choices:
        if choice.chosen and choice.note:
            lines.append(f"{NOTE} {choice.topic.title(language)}: {choice.note}")
    return "\n".join(lines)


def topics_keyboard(view: TopicsView, language: str) -> InlineKeyboardMarkup:
    rows = []
    for choice in view.choices:
        # The button asks for the state it shows next to, so a double tap asks for it twice.
        toggle = (
            f"{CHOSEN if choice.chosen else NOT_CHOSEN} {choice.topic.title(language)}",
            callback_data.CHOOSE_TOPIC.build(view.city.id, choice.topic.id, not choice.chosen),
        )
        row = [toggle]
        if choice.chosen:
            row.append((NOTE, callback_data.TOPIC_NOTE.build(view.city.id, choice.topic.id)))
        rows.append(row)
    rows.append([(t(language, "Done"), callback_data.TOPICS_DONE.build(view.city.id))])
    return keyboards.keyboard(rows)


@replies_to_errors
async def show_topics(update: Update, context: TandemContext) -> None:
    """/topics: the keyboard for the sender's city (or the city a coordinator acts for)."""
    view = await context.services.interests.overview(by=context.actor)
    language = context.language
    await update.effective_message.reply_text(topics_text(view, language), reply_markup=topics_keyboard(view, language))


@replies_to_errors
async def choose_topic(update: Update, context: TandemContext) -> None:
    """A topic button: choose or drop it, then redraw the keyboard in place."""
    query = update.callback_query
    city_id, topic_id, chosen = callback_data.CHOOSE_TOPIC.parse(query.data)
    view = await context.services.interests.choose(by=context.actor, city_id=city_id, topic_id=topic_id, chosen=bool(chosen))
    await query.answer()
    await keyboards.show(query, topics_text(view, context.language), topics_keyboard(view, context.language))


@replies_to_errors
async def ask_note(update: Update, context: TandemContext) -> None:
    """📝: wait for the note on one topic (the next message)."""
    query = update.callback_query
    city_id, topic_id = callback_data.TOPIC_NOTE.parse(query.data)
    topic = await context.services.interests.ask_note(by=context.actor, city_id=city_id, topic_id=topic_id)
    await query.answer()
    await query.message.reply_text(
        t(context.language, "Send a short note on “{topic}” (or - to remove the note).", topic=topic.title(context.language))
    )


@replies_to_errors
async def save_note(update: Update, context: TandemContext) -> None:
    """The free text after 📝: the topic's note."""
    view = await context.services.interests.set_note(by=context.actor, text=update.effective_message.text or "")
    language = context.language
    await update.effective_message.reply_text(t(language, "Note saved."))
    await update.effective_message.reply_text(topics_text(view, language), reply_markup=topics_keyboard(view, language))


@replies_to_errors
async def finish_topics(update: Update, context: TandemContext) -> None:
    """Done: summarize the chosen topics and remove the keyboard."""
    query = update.callback_query
    (city_id,) = callback_data.TOPICS_DONE.parse(query.data)
    view = await context.services.interests.overview(by=context.actor, city_id=city_id)
    await query.answer()
    language = context.language
    chosen = [c.topic.title(language) for c in view.choices if c.chosen]
    text = (
        t(language, "{city} is interested in: {topics}. I will tell you when a partner city shares a topic.", city=view.city.name, topics="; ".join(chosen))
        if chosen
        else t(language, "{city} has chosen no topics yet. Use /topics to choose some.", city=view.city.name)
    )
    await keyboards.show(query, text)
