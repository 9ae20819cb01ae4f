"""The Bot API methods Tandem uses, answered in Bot API JSON against :class:`BotApiState`."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from offline_bot_api.errors import BLOCKED, ApiError, bad_request, too_many_requests
from offline_bot_api.markup import buttons_of, checked_reply_markup, rendered_text, utf16_len
from offline_bot_api.state import (
    CONFLICT,
    BotApiState,
    ChatState,
    StoredMessage,
    counts_as_message,
    int_param,
    normalise_chat_id,
    reaches_the_user,
    scope_key,
    update_kind,
)
from offline_bot_api.values import ApiAnswer, Fault, JSONDict, MessageVersion, SentDocument, UploadedFile

_MENU_BUTTON_TYPES = ("commands", "web_app", "default")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class FakeBotApi(BotApiState):
    """The Bot API server for one bot: answers each method in Bot API JSON and records the call.

    Constructed like :class:`BotApiState` (``now``, ``flood_guard``, ``require_known_chats`` …).
    """

    # Bot API method name -> the method answering it (Telegram matches names case-insensitively).
    METHODS: dict[str, str] = {
        "getMe": "_get_me",
        "sendMessage": "_send_message",
        "sendDocument": "_send_document",
        "editMessageText": "_edit_message_text",
        "editMessageCaption": "_edit_message_caption",
        "editMessageReplyMarkup": "_edit_message_reply_markup",
        "deleteMessage": "_delete_message",
        "answerCallbackQuery": "_answer_callback_query",
        "sendChatAction": "_send_chat_action",
        "setMyCommands": "_set_my_commands",
        "getMyCommands": "_get_my_commands",
        "deleteMyCommands": "_delete_my_commands",
        "setChatMenuButton": "_set_chat_menu_button",
        "getChatMenuButton": "_get_chat_menu_button",
        "getUpdates": "_get_updates",
        "setWebhook": "_set_webhook",
        "deleteWebhook": "_delete_webhook",
        "getWebhookInfo": "_get_webhook_info",
        "getChat": "_get_chat",
        "close": "_true",
        "logOut": "_true",
    }
    _BY_LOWER_NAME = {name.lower(): name for name in METHODS}

    # ---- answering requests -----------------------------------------------------------------

    async def answer(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
    ) -> ApiAnswer:
        """Answer one Bot API request (decoded parameters) and record it; used by both transports.

        ``token`` is the token from the request URL; ``None`` skips the check.
        """
        params = dict(params)
        files = dict(files or {})
        name = self._BY_LOWER_NAME.get(method.lower(), method)
        handler: Callable[[JSONDict, Mapping[str, UploadedFile]], Awaitable[Any]] | None = (
            getattr(self, self.METHODS[name]) if name in self.METHODS else None
        )
        at_utc = self.now()
        fault: Fault | None = None
        hold_seconds = 0.0
        try:
            if self._revoked or (token is not None and token != self.token):
                raise ApiError(401, "Unauthorized")
            planned = self._take_fault(name, params)
            if planned is not None and planned.kind.is_network:
                fault = planned.kind
                hold_seconds = (
                    self.timeout_hold_seconds
                    if planned.hold_seconds is None
                    else planned.hold_seconds
                )
                if not planned.applied:  # lost on the way in: Telegram never saw it
                    self._record(name, params, files, at_utc, None, None, fault)
                    return ApiAnswer(None, None, fault, hold_seconds)
            elif planned is not None:
                raise self._fault_error(planned)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            chat_id = params.get("chat_id")
            if reaches_the_user(name) and self._is_blocked(chat_id):
                raise ApiError(403, BLOCKED)
            if self.flood_guard is not None and counts_as_message(name):
                retry_after = self.flood_guard.admit(normalise_chat_id(chat_id))
                if retry_after is not None:
                    raise too_many_requests(retry_after)
            status, payload = 200, {"ok": True, "result": await handler(params, files)}
        except ApiError as error:
            status, payload = error.code, error.payload()
        self._record(name, params, files, at_utc, status, payload, fault)
        return ApiAnswer(status, payload, fault, hold_seconds)

    # ---- Bot API methods --------------------------------------------------------------------

    async def _true(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        return True

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    async def _get_me(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _writable_chat(self, params: JSONDict) -> ChatState:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        key = normalise_chat_id(chat_id)
        assert key is not None  # chat_id is neither None nor empty here
        chat = self._chats.get(key)
        if chat is not None:
            return chat
        if self.require_known_chats:
            if isinstance(key, int) and key > 0:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        chat_type = "private" if isinstance(key, int) and key > 0 else "supergroup"
        chat = self._chats[key] = ChatState(json={"id": key, "type": chat_type})
        return chat

    def _outgoing(self, chat: ChatState, params: JSONDict, body: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": chat.next_message_id(),
            "from": self._bot_user(),
            "chat": dict(chat.json),
            "date": self._unix_now(),
            **body,
        }
        reply_markup = checked_reply_markup(params.get("reply_markup"))
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup  # only inline keyboards are part of a Message
        return message

    async def _send_message(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        chat = self._writable_chat(params)
        text = rendered_text(params.get("text"), params.get("parse_mode"), required=True)
        message = self._outgoing(chat, params, {"text": text})
        self._store(chat, message, sender="bot", document=None, method="sendMessage")
        return message

    async def _send_document(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat = self._writable_chat(params)
        document = self._document_from(params.get("document"), files)
        body: JSONDict = {"document": document.to_dict()}
        caption = rendered_text(params.get("caption"), params.get("parse_mode"), limit=1024)
        if caption:
            body["caption"] = caption
        message = self._outgoing(chat, params, body)
        self._store(chat, message, sender="bot", document=document, method="sendDocument")
        return message

    def _document_from(self, value: object, files: Mapping[str, UploadedFile]) -> SentDocument:
        upload: UploadedFile | None = None
        if value is None and "document" in files:
            upload = files["document"]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
        elif isinstance(value, str) and value in self._files:
            return self._files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not upload.content:
            raise bad_request("file must be non-empty")
        number = next(self._file_counter)
        digest = hashlib.sha256(upload.content).hexdigest()[:16]
        document = SentDocument(
            file_id=f"BQACAgIAAxkBAA{number:06d}{digest}",
            file_unique_id=f"AgAD{digest[:12]}",
            file_name=upload.file_name,
            mime_type=upload.mime_type,
            content=upload.content,
        )
        self._files[document.file_id] = document
        return document

    def _message_to_edit(self, params: JSONDict) -> tuple[ChatState, StoredMessage]:
        if params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._writable_chat(params)
        stored = chat.messages.get(int_param(params, "message_id"))
        if stored is None or stored.deleted or stored.sender != "bot":
            raise bad_request("message to edit not found")
        return chat, stored

    def _apply_edit(self, stored: StoredMessage, changes: JSONDict, method: str) -> JSONDict:
        before = {key: stored.json.get(key) for key in changes}
        if all(before[key] == value for key, value in changes.items()):
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                stored.json.pop(key, None)
            else:
                stored.json[key] = value
        stored.json["edit_date"] = self._unix_now()
        stored.history.append(
            MessageVersion(
                text=stored.json.get("text", stored.json.get("caption")),
                buttons=buttons_of(stored.json.get("reply_markup")),
                at_utc=datetime.fromtimestamp(stored.json["edit_date"], UTC),
                method=method,
            )
        )
        edited: JSONDict = json.loads(json.dumps(stored.json))
        return edited

    def _inline_markup(self, params: JSONDict) -> JSONDict | None:
        markup = checked_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    async def _edit_message_text(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        if "text" not in stored.json:
            raise bad_request("there is no text in the message to edit")
        text = rendered_text(params.get("text"), params.get("parse_mode"), required=True)
        changes = {"text": text, "reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageText")

    async def _edit_message_caption(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        if "text" in stored.json:
            raise bad_request("there is no caption in the message to edit")
        caption = rendered_text(params.get("caption"), params.get("parse_mode"), limit=1024)
        changes = {"caption": caption or None, "reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageCaption")

    async def _edit_message_reply_markup(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        _chat, stored = self._message_to_edit(params)
        changes = {"reply_markup": self._inline_markup(params)}
        return self._apply_edit(stored, changes, "editMessageReplyMarkup")

    async def _delete_message(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        chat = self._writable_chat(params)
        stored = chat.messages.get(int_param(params, "message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        return True

    async def _answer_callback_query(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        query = self._callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query.answer is not None:
            raise bad_request(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = {key: value for key, value in params.items() if key != "callback_query_id"}
        return True

    async def _send_chat_action(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        self._writable_chat(params)
        return True

    async def _set_my_commands(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand objects")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands[key] = [
            {"command": command["command"], "description": command["description"]}
            for command in commands
        ]
        return True

    async def _get_my_commands(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return [dict(command) for command in self._commands.get(key, [])]

    async def _delete_my_commands(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _set_chat_menu_button(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> bool:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else normalise_chat_id(chat_id)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
            raise bad_request("menu button type is invalid")
        self._menu_buttons[key] = dict(button)  # type: ignore[index]
        return True

    async def _get_chat_menu_button(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else normalise_chat_id(chat_id)
        return dict(self.menu_button(key))  # type: ignore[arg-type]

    async def _get_chat(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> JSONDict:
        key = normalise_chat_id(params.get("chat_id"))
        chat = self._chats.get(key) if key is not None else None
        if chat is None:
            raise bad_request("chat not found")
        return {**chat.json, "accent_color_id": 0, "max_reaction_count": 11}

    # getUpdates: offset confirms everything before it; long polling waits on a future that
    # queue_update resolves. A newer getUpdates supersedes a waiting one with 409, as Telegram
    # does when two bot processes poll with one token.

    async def _get_updates(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        self._wake_pollers(CONFLICT)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        if offset > 0:
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        elif offset < 0:
            self._pending_updates = self._pending_updates[offset:]
        ready = self._deliverable(limit)
        if ready or timeout == 0:
            return ready
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[object] = loop.create_future()
        self._poll_waiters.append(waiter)
        try:
            woken_by = await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            woken_by = None
        finally:
            if waiter in self._poll_waiters:
                self._poll_waiters.remove(waiter)
            if not waiter.done():
                waiter.cancel()
        if woken_by is CONFLICT:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        return self._deliverable(limit)

    def _deliverable(self, limit: int) -> list[JSONDict]:
        if self._allowed_updates:
            self._pending_updates = [
                update
                for update in self._pending_updates
                if update_kind(update) in self._allowed_updates
            ]
        return [json.loads(json.dumps(update)) for update in self._pending_updates[:limit]]

    async def push_to_webhook(self, update: JSONDict, listen_url: str) -> int:
        """Deliver an update the way Telegram calls a webhook; returns the HTTP status.

        ``listen_url`` is where the bot's own webhook server listens locally (the URL given to
        ``setWebhook`` is the public one and is not called). The secret token set with
        ``setWebhook`` goes into ``X-Telegram-Bot-Api-Secret-Token``, as Telegram sends it.
        """
        import httpx

        if self._webhook is None:
            raise LookupError("no webhook is set: Telegram would not push this update")
        host = urlsplit(listen_url).hostname or ""
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"updates are pushed to loopback addresses only, not {host!r}")
        headers = {"Content-Type": "application/json"}
        if self._webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self._webhook["secret_token"])
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(listen_url, content=json.dumps(update), headers=headers)
        return response.status_code

    async def _set_webhook(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending_updates.clear()
        self._webhook = {
            key: value for key, value in params.items() if key not in ("certificate",)
        }
        self._wake_pollers(CONFLICT)
        return True

    async def _delete_webhook(self, params: JSONDict, files: Mapping[str, UploadedFile]) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._pending_updates.clear()
        return True

    async def _get_webhook_info(
        self, params: JSONDict, files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        info: JSONDict = {
            "url": "" if self._webhook is None else self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if self._webhook is not None:
            info["max_connections"] = int(self._webhook.get("max_connections") or 40)
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = list(self._webhook["allowed_updates"])
        return info
