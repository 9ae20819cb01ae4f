"""An offline Telegram: python-telegram-bot's request layer answered by an in-memory Bot API.

Nothing in Tandem may reach Telegram in tests or in ``tandem demo``. The one place where the bot
touches the network is python-telegram-bot's request layer (:class:`telegram.request.BaseRequest`),
so that is the only thing replaced: the real :class:`telegram.Bot`, ``Application``, handlers,
services, rate limiter and job queue all run unchanged. This package provides the stand-in, one
module per concern:

* :class:`FakeBotApi` (``state``: what the Bot API server knows about one bot -- its chats and the
  messages in them, uploaded files, command menus, pending updates, the webhook; ``api``: the
  methods). It answers Bot API
  methods with exactly the JSON Telegram sends (``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": ..., "description": ...}``), records every call, and can be told
  to fail the way Telegram fails (:meth:`FakeBotApi.fail_next`, :meth:`FakeBotApi.block`,
  :class:`FloodGuard`, in ``flood``). ``markup`` parses ``parse_mode`` text and checks keyboards.
* ``transports``: :class:`OfflineRequest` -- a ``BaseRequest`` that hands each request to a
  ``FakeBotApi`` in-process (for conversation tests and the demo); :func:`serve_bot_api` -- the
  same ``FakeBotApi`` behind a real HTTP endpoint on the loopback interface (for the delivery
  benchmark, where requests must go through httpx).
* The simulated people: :class:`FakeUser` and the update builders :meth:`FakeBotApi.user_sends`
  and :meth:`FakeBotApi.user_taps`; :class:`ChatDriver` (``driver``) feeds them to a built
  ``Application`` and reads back the answers -- the one driver the demo and the tests share.

It is a stand-in for Telegram, generic: it imports python-telegram-bot and nothing of Tandem (an
import-linter contract keeps it so), which is why the driver is handed a built ``Application``.

A conversation test reads like this::

    api = FakeBotApi(now=lambda: NOW_UTC)
    application = (  # in Tandem: the same factory as ``tandem run``, given these two requests
        ApplicationBuilder()
        .token(api.token)
        .request(OfflineRequest(api))
        .get_updates_request(OfflineRequest(api))
        .build()
    )
    alice = FakeUser(id=1001, first_name="Alice", language_code="de")
    api.meet(alice)  # or let alice's first update introduce her
    async with application:
        start = api.user_sends(alice, "/start")
        await application.process_update(as_update(start, application.bot))
        [welcome] = api.sent_to(alice)
        assert welcome.text.startswith("Willkommen")
        tap = api.user_taps(alice, welcome.message_id, welcome.button("Deutsch").callback_data)
        await application.process_update(as_update(tap, application.bot))
        assert api.sent_to(alice)[0].text != welcome.text        # the edit is visible
        assert api.callback_answer(tap) is not None               # the button was answered

Feeding updates through polling instead (``api.queue_update(...)`` and
``application.updater.start_polling()``) also works. Always replace both request objects (or use
:func:`offline_bot`): a ``Bot`` given only ``request=`` still polls api.telegram.org.

Fidelity, and where it stops. The simulation follows https://core.telegram.org/bots/api for what
Tandem uses; where Telegram's behaviour matters to our code it is copied, including the error
texts our code may match on:

* Message ids increase per chat and are shared by the user's and the bot's messages, as in a
  real private chat. Dates come from the injectable ``now``.
* ``parse_mode`` HTML and MarkdownV2 are parsed the way Telegram does: the stored ``text`` is the
  plain text the reader sees, and malformed markup is ``400 Bad Request: can't parse entities: ...``
  (an unescaped ``<`` in a city name fails here exactly as it would in production).
* Limits: text 1..4096 UTF-16 units (``message text is empty`` / ``message is too long``), button
  callback data at most 64 bytes (``BUTTON_DATA_INVALID``), command names ``[a-z0-9_]{1,32}``.
* Editing to identical content is ``400 Bad Request: message is not modified: ...`` -- a double tap
  that edits twice meets this error in production, so it meets it here.
* The bot cannot write first: sending to a user who never wrote to the bot is
  ``403 Forbidden: bot can't initiate conversation with a user`` (turn off with
  ``require_known_chats=False``, or introduce the user with :meth:`FakeBotApi.meet`).
* ``getUpdates`` has offset/limit/timeout semantics, long-polls on an asyncio future (returns
  early when an update is queued), answers ``409 Conflict`` while a webhook is set or when a
  second poller takes over.
* Methods are matched case-insensitively, as by Telegram. Bot API methods this package does not
  simulate answer ``404 Not Found: method not found`` (recorded like every call), so a test that
  relies on one fails loudly instead of passing on a made-up answer.
* Entities are not returned, inline mode, groups' member lists and payments are not simulated.
"""


from offline_bot_api.api import FakeBotApi
from offline_bot_api.driver import ChatDriver
from offline_bot_api.flood import FloodGuard
from offline_bot_api.transports import OfflineRequest, as_update, decode_parameters, offline_bot, serve_bot_api
from offline_bot_api.values import (
    DEFAULT_TOKEN,
    ApiAnswer,
    ApiCall,
    Button,
    FakeUser,
    Fault,
    MessageVersion,
    SentDocument,
    SentMessage,
    Tap,
    UploadedFile,
    UtcNow,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiAnswer",
    "ApiCall",
    "Button",
    "ChatDriver",
    "FakeBotApi",
    "FakeUser",
    "Fault",
    "FloodGuard",
    "MessageVersion",
    "OfflineRequest",
    "SentDocument",
    "SentMessage",
    "Tap",
    "UploadedFile",
    "UtcNow",
    "as_update",
    "decode_parameters",
    "offline_bot",
    "serve_bot_api",
]
