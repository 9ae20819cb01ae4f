"""/web: the web pages inside Telegram (a Mini App), and the chat's menu button that opens them."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, Update, WebAppInfo

from bot.config import Config
from handlers.context import TandemContext
from handlers.texts import replies_to_errors, t

WEB_COMMAND = ("web", "Open the web pages: hours on a week grid, topics, partners, sessions")


def mini_app_url(config: Config) -> str | None:
    """Telegram opens Mini Apps from https addresses only; None when the web app cannot be one."""
    return f"{config.web.public_url}/app" if config.web.enabled and config.web.https else None


@replies_to_errors
async def open_web_app(update: Update, context: TandemContext) -> None:
    """/web: a button that opens the pages as a Mini App (https), or a personal sign-in link (http)."""
    config = context.services.config
    language = context.language
    if not config.web.enabled:
        await update.effective_message.reply_text(t(language, "The web pages are not switched on for this programme."))
        return
    url = mini_app_url(config)
    if url is not None:
        button = InlineKeyboardButton(t(language, "Open Tandem"), web_app=WebAppInfo(url))
    else:
        link = await context.services.sign_in.own_link(by=context.actor)
        button = InlineKeyboardButton(t(language, "Open Tandem"), url=link)
    await update.effective_message.reply_text(
        t(language, "Your city's hours, topics, partners and sessions on one page:"), reply_markup=InlineKeyboardMarkup([[button]])
    )


async def set_menu_button(bot: Bot, config: Config) -> None:
    """The button beside the message field opens the Mini App in every private chat (https only)."""
    url = mini_app_url(config)
    if url is not None:
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp("Tandem", WebAppInfo(url)))
