"""The offline Bot API answers a real ``telegram.Bot`` and ``Application`` the way Telegram does.

Everything here goes through python-telegram-bot's own code: only the request layer is the
stand-in (``OfflineRequest`` in-process, or ``serve_bot_api`` over real HTTP with httpx).
"""

from __future__ import annotations

import asyncio
import socket
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from offline_bot_api import (
    Button,
    FakeBotApi,
    FakeUser,
    Fault,
    FloodGuard,
    OfflineRequest,
    as_update,
    decode_parameters,
    offline_bot,
    serve_bot_api,
)

# Monday 29 March 2027, 07:30 UTC: 15:30 in Panjin (Asia/Shanghai), 08:30 in Lisbon (WEST).
NOW_UTC = datetime(2027, 3, 29, 7, 30, tzinfo=UTC)
ALICE = FakeUser(id=1001, first_name="Alice", language_code="de", username="alice_lisboa")
BOB = FakeUser(id=2002, first_name="Bo", language_code="zh")
# Waiting is for events, with a ceiling far above what the work takes on a loaded machine.
CEILING = 60.0
LONG_POLL = 600  # a poll that would still wait long after the ceiling: an early return is the event


async def eventually(condition: Callable[[], bool], ceiling: float = CEILING) -> None:
    """Return as soon as ``condition()`` holds; fail after ``ceiling`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ceiling
    while not condition():
        assert loop.time() < deadline, f"not within {ceiling} s"
        await asyncio.sleep(0.01)

YES_NO = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ja", callback_data="yes:1"),
            InlineKeyboardButton("Nein", callback_data="no:1"),
        ]
    ]
)


def retry_after_seconds(error: RetryAfter) -> float:
    """``RetryAfter.retry_after`` is an int or a timedelta depending on PTB's settings."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form is deprecated
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@pytest.fixture
def api() -> FakeBotApi:
    fake = FakeBotApi(now=lambda: NOW_UTC)
    fake.meet(ALICE)
    fake.meet(BOB)
    return fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with offline_bot(api) as real_bot:
        yield real_bot


# ---- sending, editing and reading back ------------------------------------------------------


async def test_get_me_answers_the_configured_bot(bot: Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert (me.username, me.is_bot, me.id) == ("tandem_demo_bot", True, 123456789)
    assert api.calls("getMe")[0].response["ok"] is True


async def test_sent_message_is_read_back_with_its_buttons_and_the_injected_date(
    bot: Bot, api: FakeBotApi
) -> None:
    message = await bot.send_message(ALICE.id, "Termin bestätigen?", reply_markup=YES_NO)

    [sent] = api.sent_to(ALICE)
    assert sent.text == "Termin bestätigen?"
    assert sent.buttons == [[("Ja", "yes:1"), ("Nein", "no:1")]]
    assert sent.button("Nein").callback_data == "no:1"
    assert sent.sent_at_utc == NOW_UTC == message.date
    assert message.from_user.username == "tandem_demo_bot"
    assert message.chat.id == ALICE.id
    [call] = api.calls("sendMessage")
    assert call.params["chat_id"] == ALICE.id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes:1"


async def test_missing_button_lookup_names_the_buttons_there_are(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(ALICE.id, "Termin?", reply_markup=YES_NO)
    with pytest.raises(LookupError, match=r"\['Ja', 'Nein'\]"):
        api.last_sent_to(ALICE).button("Vielleicht")


async def test_message_ids_increase_per_chat_and_are_shared_with_the_users_messages(
    bot: Bot, api: FakeBotApi
) -> None:
    api.user_sends(ALICE, "hallo")
    first = await bot.send_message(ALICE.id, "eins")
    second = await bot.send_message(ALICE.id, "zwei")
    to_bob = await bot.send_message(BOB.id, "一")

    assert (first.message_id, second.message_id, to_bob.message_id) == (2, 3, 1)
    assert [(m.sender, m.text) for m in api.chat_history(ALICE)] == [
        ("user", "hallo"),
        ("bot", "eins"),
        ("bot", "zwei"),
    ]


async def test_edits_are_applied_and_the_history_is_kept(bot: Bot, api: FakeBotApi) -> None:
    message = await bot.send_message(ALICE.id, "Termin?", reply_markup=YES_NO)
    await bot.edit_message_text("Bestätigt", chat_id=ALICE.id, message_id=message.message_id)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Absagen", callback_data="cancel:1")]])
    await bot.edit_message_reply_markup(ALICE.id, message.message_id, reply_markup=keyboard)

    [sent] = api.sent_to(ALICE)
    assert sent.text == "Bestätigt"
    assert sent.buttons == [[("Absagen", "cancel:1")]]
    assert [(v.method, v.text, v.buttons) for v in sent.history] == [
        ("sendMessage", "Termin?", [[("Ja", "yes:1"), ("Nein", "no:1")]]),
        ("editMessageText", "Bestätigt", []),  # editing text without markup drops the keyboard
        ("editMessageReplyMarkup", "Bestätigt", [[("Absagen", "cancel:1")]]),
    ]
    assert sent.edited


async def test_editing_to_identical_content_is_message_is_not_modified(
    bot: Bot, api: FakeBotApi
) -> None:
    message = await bot.send_message(ALICE.id, "Termin?", reply_markup=YES_NO)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Termin?", chat_id=ALICE.id, message_id=message.message_id, reply_markup=YES_NO
        )


async def test_editing_a_message_that_is_not_there_is_message_to_edit_not_found(
    bot: Bot,
) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=99)


async def test_deleted_message_is_gone_from_sent_to_but_kept_on_request(
    bot: Bot, api: FakeBotApi
) -> None:
    message = await bot.send_message(ALICE.id, "weg damit")
    assert await bot.delete_message(ALICE.id, message.message_id) is True
    assert api.sent_to(ALICE) == []
    assert api.sent_to(ALICE, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ALICE.id, message.message_id)


async def test_document_keeps_its_bytes_and_the_file_name_the_recipient_sees(
    bot: Bot, api: FakeBotApi
) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = await bot.send_document(
        ALICE.id, ics, filename="Panjin-Lisboa.ics", caption="Einladung"
    )

    assert message.document.file_name == "Panjin-Lisboa.ics"
    assert message.document.file_size == len(ics)
    [sent] = api.sent_to(ALICE)
    assert (sent.document.file_name, sent.document.content, sent.text) == (
        "Panjin-Lisboa.ics",
        ics,
        "Einladung",
    )
    assert api.calls("sendDocument")[0].files["document"].content == ics

    again = await bot.send_document(BOB.id, message.document.file_id)
    assert again.document.file_id == message.document.file_id
    assert [(chat, doc.file_name) for chat, doc in api.document_files()] == [
        (ALICE.id, "Panjin-Lisboa.ics"),
        (BOB.id, "Panjin-Lisboa.ics"),
    ]


async def test_unknown_file_id_is_wrong_file_identifier(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(ALICE.id, "no-such-file-id")


async def test_strings_that_look_like_json_stay_strings(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(ALICE.id, "42")
    await bot.send_message(ALICE.id, "[1, 2]")
    assert [m.text for m in api.sent_to(ALICE)] == ["42", "[1, 2]"]
    assert decode_parameters({"chat_id": "@channel", "offset": "5", "text": "true"}) == {
        "chat_id": "@channel",
        "offset": 5,
        "text": "true",
    }


# ---- Telegram's checks on what is sent ------------------------------------------------------


async def test_html_text_is_stored_as_the_reader_sees_it(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(
        ALICE.id,
        '<b>Panjin</b> &amp; <a href="https://x.example">Lisboa</a> &lt;3',
        parse_mode="HTML",
    )
    assert api.last_sent_to(ALICE).text == "Panjin & Lisboa <3"
    assert api.calls("sendMessage")[0].params["text"].startswith("<b>Panjin</b>")


@pytest.mark.parametrize(
    ("html_text", "complaint"),
    [
        ("Wuppertal < Lisboa", "Unexpected end of name token"),
        ("<b>Panjin", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>Panjin</p>", 'Unsupported start tag "p"'),
        ("<b>Panjin</i>", "Unmatched end tag"),
    ],
)
async def test_malformed_html_is_cant_parse_entities(
    bot: Bot, api: FakeBotApi, html_text: str, complaint: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(ALICE.id, html_text, parse_mode="HTML")
    description = api.calls("sendMessage")[0].response["description"]
    assert description.startswith("Bad Request: can't parse entities: ")
    assert complaint in description
    assert api.sent_to(ALICE) == []


async def test_markdown_v2_needs_reserved_characters_escaped(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(ALICE.id, r"*Sitzung* am 31\.03\.", parse_mode="MarkdownV2")
    assert api.last_sent_to(ALICE).text == "Sitzung am 31.03."
    with pytest.raises(BadRequest, match="(?i)character '.' is reserved"):
        await bot.send_message(ALICE.id, "am 31.03.", parse_mode="MarkdownV2")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("", "Message text is empty"), ("x" * 4097, "Message is too long")],
)
async def test_text_outside_telegrams_limits_is_refused(
    bot: Bot, text: str, complaint: str
) -> None:
    with pytest.raises(BadRequest, match=complaint):
        await bot.send_message(ALICE.id, text)


async def test_callback_data_over_64_bytes_is_button_data_invalid(bot: Bot) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="s" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ALICE.id, "Termin?", reply_markup=too_long)


async def test_the_bot_cannot_write_first_to_a_user_who_never_wrote_to_it(bot: Bot) -> None:
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(3003, "Hallo")


async def test_commands_are_kept_per_scope_and_language(bot: Bot, api: FakeBotApi) -> None:
    coordinator_scope = BotCommandScopeChat(chat_id=ALICE.id)
    await bot.set_my_commands(
        [BotCommand("start", "Start"), BotCommand("help", "Hilfe")], language_code="de"
    )
    await bot.set_my_commands(
        [BotCommand("pending", "Offene Treffen")], scope=coordinator_scope, language_code="de"
    )

    assert api.commands(language_code="de") == [("start", "Start"), ("help", "Hilfe")]
    assert api.commands({"type": "chat", "chat_id": ALICE.id}, "de") == [
        ("pending", "Offene Treffen")
    ]
    assert api.commands() == []
    assert [(scope["type"], language) for scope, language, _ in api.command_menus()] == [
        ("default", "de"),
        ("chat", "de"),
    ]
    fetched = await bot.get_my_commands(scope=coordinator_scope, language_code="de")
    assert [(c.command, c.description) for c in fetched] == [("pending", "Offene Treffen")]
    await bot.delete_my_commands(scope=coordinator_scope, language_code="de")
    assert await bot.get_my_commands(scope=coordinator_scope, language_code="de") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Pending", "upper case is not allowed")])


async def test_menu_button_is_kept_per_chat(bot: Bot, api: FakeBotApi) -> None:
    await bot.set_chat_menu_button(chat_id=ALICE.id, menu_button=MenuButtonCommands())
    assert api.menu_button(ALICE.id) == {"type": "commands"}
    assert isinstance(await bot.get_chat_menu_button(ALICE.id), MenuButtonCommands)


async def test_get_chat_knows_the_users_private_chat(bot: Bot) -> None:
    chat = await bot.get_chat(ALICE.id)
    assert (chat.type, chat.username) == ("private", "alice_lisboa")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(-100777)


async def test_unknown_method_answers_like_the_real_api(bot: Bot, api: FakeBotApi) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE.id})
    assert api.calls("sendTelepathy")[0].response == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_webhook_is_set_reported_and_blocks_polling_until_deleted(
    bot: Bot, api: FakeBotApi
) -> None:
    await bot.set_webhook("https://tandem.example/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://tandem.example/hook"
    assert api.webhook()["secret_token"] == "s3cret"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


async def test_close_and_log_out_answer_true(bot: Bot) -> None:
    assert await bot.close() is True
    assert await bot.log_out() is True


# ---- getUpdates ------------------------------------------------------------------------------


async def test_get_updates_confirms_everything_before_the_offset(
    bot: Bot, api: FakeBotApi
) -> None:
    first = api.queue_update(api.user_sends(ALICE, "eins"))
    api.queue_update(api.user_sends(ALICE, "zwei"))
    api.queue_update(api.user_sends(BOB, "三"))

    assert [u.message.text for u in await bot.get_updates(limit=2)] == ["eins", "zwei"]
    later = await bot.get_updates(offset=first["update_id"] + 1)
    assert [u.message.text for u in later] == ["zwei", "三"]
    assert [u["message"]["text"] for u in api.pending_updates()] == ["zwei", "三"]
    assert await bot.get_updates(offset=later[-1].update_id + 1) == ()


async def test_long_poll_returns_as_soon_as_an_update_is_queued(
    bot: Bot, api: FakeBotApi
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=LONG_POLL))
    await asyncio.sleep(0)  # let the poll start waiting
    assert not poll.done()
    api.queue_update(api.user_sends(ALICE, "/help"))
    updates = await asyncio.wait_for(poll, CEILING)  # a generous ceiling, still far below the long poll
    assert [u.message.text for u in updates] == ["/help"]


async def test_long_poll_with_nothing_queued_answers_empty_after_the_timeout(
    bot: Bot,
) -> None:
    assert await bot.get_updates(timeout=0.01) == ()


async def test_a_second_poller_terminates_the_first_with_conflict(
    bot: Bot, api: FakeBotApi
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=LONG_POLL))
    await asyncio.sleep(0)
    second = asyncio.create_task(bot.get_updates(timeout=LONG_POLL))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, CEILING)
    api.queue_update(api.user_sends(ALICE, "hallo"))
    assert len(await asyncio.wait_for(second, CEILING)) == 1


# ---- the simulated users through a real Application -----------------------------------------


def offline_application(api: FakeBotApi):  # noqa: ANN201 - PTB's Application generics
    return (
        ApplicationBuilder()
        .token(api.token)
        .request(OfflineRequest(api))
        .get_updates_request(OfflineRequest(api))
        .build()
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /start with the deep-link code and a keyboard."""
    code = context.args[0] if context.args else "-"
    await update.message.reply_text(f"Willkommen, Code {code}", reply_markup=YES_NO)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the tap, then edit the message it was on."""
    query = update.callback_query
    await query.answer("Gespeichert")
    await query.edit_message_text(f"Gewählt: {query.data} auf {query.message.text}")


async def test_command_handler_reply_to_a_deep_link_is_visible_in_sent_to(
    api: FakeBotApi,
) -> None:
    application = offline_application(api)
    application.add_handler(CommandHandler("start", start))
    async with application:
        update = api.user_sends(ALICE, "/start INV-7Q2K")
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        await application.process_update(as_update(update, application.bot))

    reply = api.last_sent_to(ALICE)
    assert reply.text == "Willkommen, Code INV-7Q2K"
    assert reply.buttons == [[Button("Ja", "yes:1"), Button("Nein", "no:1")]]


async def test_tap_is_answered_and_edits_the_message_it_was_on(api: FakeBotApi) -> None:
    application = offline_application(api)
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(choose))
    async with application:
        hello = api.user_sends(ALICE, "/start")
        await application.process_update(as_update(hello, application.bot))
        welcome = api.last_sent_to(ALICE)
        tap = api.user_taps(ALICE, welcome.message_id, welcome.button("Ja").callback_data)
        assert tap["callback_query"]["message"]["text"] == "Willkommen, Code -"
        await application.process_update(as_update(tap, application.bot))
        with pytest.raises(BadRequest, match="Query is too old"):
            await application.bot.answer_callback_query(tap["callback_query"]["id"])

    assert api.callback_answer(tap) == {"text": "Gespeichert"}
    assert [(t.message_id, t.callback_data, t.answer) for t in api.taps_by(ALICE)] == [
        (welcome.message_id, "yes:1", {"text": "Gespeichert"})
    ]
    assert api.last_sent_to(ALICE).text == "Gewählt: yes:1 auf Willkommen, Code -"
    assert api.last_sent_to(ALICE).message_id == welcome.message_id


async def test_a_plain_answer_counts_as_answered(api: FakeBotApi) -> None:
    message = await api.answer("sendMessage", {"chat_id": ALICE.id, "text": "Termin?"})
    tap = api.user_taps(ALICE, message.payload["result"]["message_id"], "yes:1")
    assert api.callback_answer(tap) is None
    await api.answer("answerCallbackQuery", {"callback_query_id": tap["callback_query"]["id"]})
    assert api.callback_answer(tap) == {}
    assert api.taps_by(ALICE)[0].answered


def test_nobody_can_tap_a_message_that_is_not_there(api: FakeBotApi) -> None:
    with pytest.raises(LookupError, match="no bot message 5"):
        api.user_taps(ALICE, 5, "yes:1")


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_updates_are_pushed_with_the_secret_token(api: FakeBotApi) -> None:
    application = offline_application(api)
    application.add_handler(CommandHandler("start", start))
    port = free_loopback_port()
    async with application:
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url="https://tandem.example/hook",
            secret_token="s3cret",
        )
        await application.start()
        status = await api.push_to_webhook(
            api.user_sends(ALICE, "/start HOOK"), f"http://127.0.0.1:{port}/hook"
        )
        await eventually(lambda: bool(api.sent_to(ALICE)))
        await application.updater.stop()
        await application.stop()

    assert status == 200
    assert api.webhook()["secret_token"] == "s3cret"
    assert api.last_sent_to(ALICE).text == "Willkommen, Code HOOK"


async def test_updates_fetched_by_polling_are_processed(api: FakeBotApi) -> None:
    application = offline_application(api)
    application.add_handler(CommandHandler("start", start))
    api.queue_update(api.user_sends(BOB, "/start POLL"))
    async with application:
        await application.updater.start_polling(poll_interval=0, timeout=10)
        await application.start()
        await eventually(lambda: bool(api.sent_to(BOB)))
        await application.updater.stop()
        await application.stop()

    assert api.last_sent_to(BOB).text == "Willkommen, Code POLL"
    assert api.calls("deleteWebhook"), "start_polling removes a webhook first"
    assert api.pending_updates() == [], "stopping confirms the fetched update with an offset"


# ---- faults, exactly as Telegram answers ----------------------------------------------------


async def test_too_many_requests_is_retry_after_with_the_seconds_given(
    bot: Bot, api: FakeBotApi
) -> None:
    api.fail_next("sendMessage", kind=Fault.RETRY_AFTER, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "eins")
    assert retry_after_seconds(caught.value) == 7
    assert api.calls("sendMessage")[0].response["parameters"] == {"retry_after": 7}
    await bot.send_message(ALICE.id, "eins")  # only the next call was failed
    assert [m.text for m in api.sent_to(ALICE)] == ["eins"]


@pytest.mark.parametrize(
    ("kind", "exception", "text"),
    [
        (Fault.BLOCKED, Forbidden, "Forbidden: bot was blocked by the user"),
        (Fault.MESSAGE_TO_EDIT_NOT_FOUND, BadRequest, "Message to edit not found"),
        (Fault.UNAUTHORIZED, InvalidToken, "Unauthorized"),
        (Fault.NETWORK_ERROR, NetworkError, "Server disconnected"),
        (Fault.TIMEOUT, TimedOut, "Timed out"),
    ],
)
async def test_each_fault_surfaces_as_the_matching_ptb_exception(
    bot: Bot, api: FakeBotApi, kind: Fault, exception: type[Exception], text: str
) -> None:
    api.fail_next("sendMessage", kind=kind)
    with pytest.raises(exception, match=text):
        await bot.send_message(ALICE.id, "Erinnerung")
    assert api.sent_to(ALICE) == []


async def test_generic_bad_request_carries_the_given_description(bot: Bot, api: FakeBotApi) -> None:
    api.fail_next("sendMessage", kind=Fault.BAD_REQUEST, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(ALICE.id, "Erinnerung")


async def test_revoked_token_on_get_me_is_invalid_token(api: FakeBotApi) -> None:
    api.fail_next("getMe", kind=Fault.UNAUTHORIZED)
    with pytest.raises(InvalidToken):
        await offline_bot(api).initialize()
    api.revoke_token()
    with pytest.raises(InvalidToken):
        await offline_bot(api).get_me()


async def test_a_timeout_after_telegram_sent_the_message_leaves_it_delivered(
    bot: Bot, api: FakeBotApi
) -> None:
    api.fail_next("sendMessage", ALICE.id, kind=Fault.TIMEOUT, applied=True)
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE.id, "Erinnerung")
    assert [m.text for m in api.sent_to(ALICE)] == ["Erinnerung"]  # a retry would send it twice
    assert api.calls("sendMessage")[0].fault is Fault.TIMEOUT


async def test_a_fault_for_one_chat_leaves_the_others_alone(bot: Bot, api: FakeBotApi) -> None:
    api.fail_next("sendMessage", BOB.id, kind=Fault.BLOCKED, count=2)
    await bot.send_message(ALICE.id, "ok")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(BOB.id, "nein")
    await bot.send_message(BOB.id, "wieder da")
    assert [m.text for m in api.sent_to(BOB)] == ["wieder da"]


async def test_a_blocked_chat_refuses_every_later_send(bot: Bot, api: FakeBotApi) -> None:
    message = await bot.send_message(ALICE.id, "vorher")
    api.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE.id, "Erinnerung 24 h")
    with pytest.raises(Forbidden):
        await bot.send_document(ALICE.id, b"BEGIN:VCALENDAR", filename="x.ics")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("nachher", chat_id=ALICE.id, message_id=message.message_id)
    await bot.send_message(BOB.id, "Bo is fine")
    assert [m.text for m in api.sent_to(ALICE)] == ["vorher"]
    assert (await bot.get_chat(ALICE.id)).id == ALICE.id  # the chat itself still exists
    api.unblock(ALICE)
    await bot.send_message(ALICE.id, "wieder da")


async def test_random_faults_fail_the_same_calls_for_the_same_seed() -> None:
    async def outcomes(seed: int) -> list[tuple[int | None, Fault | None]]:
        fake = FakeBotApi(now=lambda: NOW_UTC)
        fake.meet(ALICE)
        fake.fail_randomly(0.2, seed=seed)
        for index in range(200):
            await fake.answer("sendMessage", {"chat_id": ALICE.id, "text": f"m{index}"})
        return [(call.status_code, call.fault) for call in fake.calls()]

    first = await outcomes(seed=3)
    assert first == await outcomes(seed=3)
    failed = [outcome for outcome in first if outcome != (200, None)]
    assert 20 <= len(failed) <= 60  # about 20 % of 200
    assert {outcome for outcome in failed} == {(429, None), (None, Fault.TIMEOUT)}


async def test_random_faults_leave_start_up_and_polling_alone(api: FakeBotApi) -> None:
    api.fail_randomly(1.0)
    async with offline_bot(api) as bot:
        assert await bot.get_updates() == ()
        with pytest.raises((RetryAfter, TimedOut)):
            await bot.send_message(ALICE.id, "x")


# ---- the flood guard ------------------------------------------------------------------------


class ManualSeconds:
    """A time source for the flood guard that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_flood_guard_allows_one_message_per_second_per_chat(
    bot: Bot, api: FakeBotApi
) -> None:
    seconds = ManualSeconds()
    api.flood_guard = FloodGuard(time_source=seconds, tolerance=0.0)
    await bot.send_message(ALICE.id, "eins")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "zwei")
    assert retry_after_seconds(caught.value) == 1
    await bot.send_message(BOB.id, "另一个聊天")  # another chat is not affected
    seconds.now += 1.0
    await bot.send_message(ALICE.id, "zwei")
    assert [m.text for m in api.sent_to(ALICE)] == ["eins", "zwei"]


async def test_flood_guard_allows_thirty_messages_per_second_overall(api: FakeBotApi) -> None:
    seconds = ManualSeconds()
    api.flood_guard = FloodGuard(time_source=seconds, tolerance=0.0)
    api.require_known_chats = False
    for chat_id in range(1, 31):
        answer = await api.answer("sendMessage", {"chat_id": chat_id, "text": "x"})
        assert answer.status_code == 200
    refused = await api.answer("sendMessage", {"chat_id": 31, "text": "x"})
    assert refused.status_code == 429
    assert refused.payload["parameters"]["retry_after"] == 1
    seconds.now += 1 / 30  # the bucket drains one message every 1/30 s
    assert (await api.answer("sendMessage", {"chat_id": 31, "text": "x"})).status_code == 200


async def test_flood_guard_allows_twenty_messages_per_minute_in_a_group(api: FakeBotApi) -> None:
    seconds = ManualSeconds()
    # Per-chat pacing relaxed so that only the group limit speaks.
    api.flood_guard = FloodGuard(
        time_source=seconds, tolerance=0.0, per_chat_per_second=100, per_chat_burst=100
    )
    api.require_known_chats = False
    for _ in range(20):
        answer = await api.answer("sendMessage", {"chat_id": -100123, "text": "x"})
        assert answer.status_code == 200
    refused = await api.answer("sendMessage", {"chat_id": -100123, "text": "x"})
    # The bucket is full (20) and drains 20/60 = 1/3 message per second: one more fits in 3 s.
    assert (refused.status_code, refused.payload["parameters"]["retry_after"]) == (429, 3)
    seconds.now += 3.0
    assert (await api.answer("sendMessage", {"chat_id": -100123, "text": "x"})).status_code == 200


# ---- the clock ------------------------------------------------------------------------------


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        FakeBotApi(now=lambda: datetime(2027, 3, 29, 7, 30)).now()


# ---- the same API over real HTTP ------------------------------------------------------------


async def test_http_endpoint_answers_a_real_bot_over_httpx(api: FakeBotApi) -> None:
    async with serve_bot_api(api) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with Bot(api.token, base_url=base_url) as bot:
            assert bot.username == "tandem_demo_bot"
            await bot.send_message(
                ALICE.id, "<b>Hallo</b> 42", parse_mode="HTML", reply_markup=YES_NO
            )
            document = await bot.send_document(ALICE.id, b"BEGIN:VCALENDAR", filename="a.ics")
            api.queue_update(api.user_sends(ALICE, "/start"))
            [update] = await bot.get_updates(timeout=5)

    hello, sent_document = api.sent_to(ALICE)
    assert (hello.text, hello.buttons) == ("Hallo 42", [[("Ja", "yes:1"), ("Nein", "no:1")]])
    assert api.calls("sendMessage")[0].params["chat_id"] == ALICE.id
    assert (sent_document.document.file_name, sent_document.document.content) == (
        "a.ics",
        b"BEGIN:VCALENDAR",
    )
    assert document.document.file_name == "a.ics"
    assert update.message.text == "/start"


async def test_http_endpoint_faults_reach_the_bot_as_ptb_exceptions(api: FakeBotApi) -> None:
    # Generous timeouts for every call that gets an answer; the timed-out call is held until the
    # server stops, so it times out whatever the machine's load, after its own short read timeout.
    request = HTTPXRequest(read_timeout=CEILING, connect_timeout=CEILING)
    async with serve_bot_api(api) as base_url:
        async with Bot(api.token, base_url=base_url, request=request) as bot:
            api.fail_next("sendMessage", kind=Fault.RETRY_AFTER, retry_after=3)
            with pytest.raises(RetryAfter):
                await bot.send_message(ALICE.id, "x")
            api.fail_next("sendMessage", kind=Fault.NETWORK_ERROR)
            with pytest.raises(NetworkError) as dropped:
                await bot.send_message(ALICE.id, "x")
            assert not isinstance(dropped.value, TimedOut)
            api.fail_next("sendMessage", kind=Fault.TIMEOUT, hold_seconds=3600)  # never answered
            with pytest.raises(TimedOut):
                await bot.send_message(ALICE.id, "x", read_timeout=0.5)
            await bot.send_message(ALICE.id, "endlich")
        with pytest.raises(InvalidToken):
            await Bot("987:WRONG", base_url=base_url).get_me()
    assert [m.text for m in api.sent_to(ALICE)] == ["endlich"]


async def test_http_endpoint_listens_on_loopback_only(api: FakeBotApi) -> None:
    with pytest.raises(ValueError, match="loopback"):
        async with serve_bot_api(api, host="0.0.0.0"):
            pass
