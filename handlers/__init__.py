"""Telegram handlers. ``register`` is the one place where every handler is wired, in order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot import callback_data as buttons
from handlers import admin, errors, fallback, help, hours, language, matches, official_days, people, sessions, start, topics, web_app
from handlers.context import TandemApplication

IDENTIFY = -2  # resolves the sender once per update, before any handler of group 0 runs
STORABLE = -1  # then refuses an update carrying text no database can keep, before anyone stores it


def register(application: TandemApplication) -> None:
    """Wire every handler; groups run in order, the first matching handler of a group wins."""
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, people.identify), group=IDENTIFY)
    application.add_handler(TypeHandler(Update, people.refuse_unstorable_text), group=STORABLE)
    for handler in [
        # Everyone
        CommandHandler("start", start.start, filters=private),
        CommandHandler("help", help.show_help, filters=private),
        CommandHandler("language", language.choose_language, filters=private),
        CommandHandler("mydata", people.send_my_data, filters=private),
        CommandHandler("forget", people.ask_to_forget, filters=private),
        CommandHandler("cancel", fallback.cancel, filters=private),
        CommandHandler("web", web_app.open_web_app, filters=private),
        CallbackQueryHandler(language.set_language, pattern=buttons.CHOOSE_LANGUAGE.pattern),
        CallbackQueryHandler(people.forget, pattern=buttons.FORGET_ME.pattern),
        # City contacts (and coordinators acting for a city)
        CommandHandler("topics", topics.show_topics, filters=private),
        CommandHandler("hours", hours.show_hours, filters=private),
        CommandHandler("away", hours.show_days_away, filters=private),
        CommandHandler("colleague", start.colleague_link, filters=private),
        CallbackQueryHandler(topics.choose_topic, pattern=buttons.CHOOSE_TOPIC.pattern),
        CallbackQueryHandler(topics.ask_note, pattern=buttons.TOPIC_NOTE.pattern),
        CallbackQueryHandler(topics.finish_topics, pattern=buttons.TOPICS_DONE.pattern),
        CallbackQueryHandler(hours.choose_preset, pattern=buttons.HOURS_PRESET.pattern),
        CallbackQueryHandler(hours.ask_hours, pattern=buttons.HOURS_TYPE.pattern),
        CallbackQueryHandler(hours.ask_days_away, pattern=buttons.AWAY_ADD.pattern),
        CallbackQueryHandler(hours.remove_day_away, pattern=buttons.AWAY_REMOVE.pattern),
        CallbackQueryHandler(matches.accept_match, pattern=buttons.ACCEPT_MATCH.pattern),
        CallbackQueryHandler(matches.decline_match, pattern=buttons.DECLINE_MATCH.pattern),
        CallbackQueryHandler(matches.page_partners, pattern=buttons.PARTNERS_PAGE.pattern),
        CallbackQueryHandler(matches.decline_partner, pattern=buttons.DECLINE_PARTNER.pattern),
        # Coordinators (the services refuse everyone else)
        CommandHandler("cities", admin.list_cities, filters=private),
        CommandHandler("addcity", admin.add_city, filters=private),
        CommandHandler("editcity", admin.edit_city, filters=private),
        CommandHandler("invite", admin.invite, filters=private),
        CommandHandler("act", admin.act_for_city, filters=private),
        CommandHandler("addemail", admin.add_email_contact, filters=private),
        CommandHandler("holiday", official_days.change_official_day, filters=private),
        CommandHandler("holidays", official_days.list_official_days, filters=private),
        CommandHandler("pending", sessions.list_pending, filters=private),
        CommandHandler("schedule", sessions.list_schedule, filters=private),
        CommandHandler("roadmap", sessions.show_roadmap, filters=private),
        CallbackQueryHandler(sessions.pick_slot, pattern=buttons.CONFIRM_SLOT.pattern),
        CallbackQueryHandler(sessions.page_digest, pattern=buttons.DIGEST_PAGE.pattern),
        CallbackQueryHandler(sessions.page_pending, pattern=buttons.PENDING_PAGE.pattern),
        CallbackQueryHandler(sessions.show_moves, pattern=buttons.RESCHEDULE_MENU.pattern),
        CallbackQueryHandler(sessions.move_session, pattern=buttons.RESCHEDULE_TO.pattern),
        CallbackQueryHandler(sessions.ask_cancel_reason, pattern=buttons.CANCEL_SESSION.pattern),
        CallbackQueryHandler(sessions.decline_counter, pattern=buttons.DECLINE_COUNTER.pattern),
        # Everyone invited to sessions
        CommandHandler("sessions", sessions.list_sessions, filters=private),
        CallbackQueryHandler(sessions.answer_invite, pattern=buttons.ATTEND.pattern),
        CallbackQueryHandler(sessions.record_outcome, pattern=buttons.FOLLOW_UP.pattern),
        # Whatever is left (keep last; new commands and buttons go above): free text by step,
        # unknown commands, stale or forged buttons
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, fallback.free_text),
        MessageHandler(private & filters.COMMAND, fallback.unknown_command),
        CallbackQueryHandler(fallback.stale_button),
    ]:
        application.add_handler(handler)
    application.add_error_handler(errors.report_error)
