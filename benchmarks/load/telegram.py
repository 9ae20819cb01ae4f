"""Telegram's side of the load run, in a process of its own: the offline Bot API and the people.

Real Telegram does not run in the bot's event loop, and neither do the people who use it. In one
process, every round trip of the bot's (to the database, to the Bot API) also waited for the
simulated Bot API's HTTP server and for the 100 simulated people, so the figures measured the
simulation as much as the bot. Here the Bot API (``offline_bot_api.serve_bot_api`` with its
``FloodGuard``) and the people run in a spawned process; the bot, with everything it does, stays in
the benchmark's process. The two talk over a pipe: the parent asks for a phase (the contacts, the
/help crowd), the child plays it and sends back each action with its times. Both read the same
clock (UTC), so an answer's time and a planning run's can be compared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import httpx

from benchmarks.load.programme import COORDINATOR, PlannedCity
from offline_bot_api import DEFAULT_TOKEN, ApiCall, FakeBotApi, FakeUser, FloodGuard, serve_bot_api

ANSWER_TIMEOUT = 120.0  # an action without its answer after this long counts as unanswered
HELP_FIRST_ID = 700_000


# --------------------------------------------------------------------------------------------
# Watching the Bot API: each action waits for its own answer
# --------------------------------------------------------------------------------------------


class WatchedBotApi(FakeBotApi):
    """The offline Bot API, telling waiters about each call as it is recorded (on arrival)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._waiters: dict[object, list[tuple[Callable[[ApiCall], bool], asyncio.Future[ApiCall]]]] = {}

    @staticmethod
    def _key(method: str, params: dict[str, Any]) -> object:
        if method.lower() == "answercallbackquery":
            return ("query", str(params.get("callback_query_id")))
        chat = params.get("chat_id")
        return int(chat) if isinstance(chat, int | str) and str(chat).lstrip("-").isdigit() else chat

    def wait_for(self, key: object, predicate: Callable[[ApiCall], bool]) -> asyncio.Future[ApiCall]:
        """A future for the first call from now on under ``key`` (a chat id, or ("query", id)) that ``predicate`` accepts."""
        future: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append((predicate, future))
        return future

    def _record(self, method: str, params: dict[str, Any], *rest: Any) -> None:  # type: ignore[override]
        super()._record(method, params, *rest)
        call = self._calls[-1]
        waiting = self._waiters.get(self._key(method, params))
        if not waiting:
            return
        for entry in list(waiting):
            predicate, future = entry
            if future.done():
                waiting.remove(entry)
            elif call.ok and predicate(call):
                future.set_result(call)
                waiting.remove(entry)


# --------------------------------------------------------------------------------------------
# The people
# --------------------------------------------------------------------------------------------


@dataclass
class Action:
    """One thing a person did, and when its answer reached the Bot API."""

    person: int
    kind: str  # join, topics, tap, hours, help
    sent: datetime
    answered: datetime | None = None
    callback_answered: datetime | None = None  # taps: the answerCallbackQuery
    answer_calls: tuple[int, ...] = ()  # ids (id()) of the calls that answered it, to tell them from notices

    @property
    def seconds(self) -> float:
        return math.inf if self.answered is None else (self.answered - self.sent).total_seconds()


class People:
    """Simulated people handing updates to the offline Bot API and timing their answers."""

    def __init__(self, api: WatchedBotApi, webhook: str | None = None) -> None:
        self.api = api
        self.webhook = webhook  # the bot's local webhook URL, or None: polling (getUpdates)
        self.actions: list[Action] = []
        self._pushes: set[asyncio.Task[Any]] = set()
        self._client: httpx.AsyncClient | None = None

    def hand_over(self, update: dict[str, Any]) -> None:
        """What Telegram does with a person's update: keep it for getUpdates, or post it to the webhook."""
        if self.webhook is None:
            self.api.queue_update(update)
            return
        # As FakeBotApi.push_to_webhook posts, through one client: a client per update would spend
        # this process's loop building TLS contexts, which real Telegram does elsewhere.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=400))
        secret = str((self.api.webhook() or {}).get("secret_token") or "")
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
        push = asyncio.create_task(self._client.post(self.webhook, content=json.dumps(update), headers=headers))
        self._pushes.add(push)
        push.add_done_callback(self._pushes.discard)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def command(self, user: FakeUser, kind: str, text: str, answer_starts: str) -> Action:
        """``user`` sends ``text``; the answer is the first message to them starting with ``answer_starts``."""
        answered = self.api.wait_for(user.id, lambda c: c.method == "sendMessage" and str(c.params.get("text", "")).startswith(answer_starts))
        update = self.api.user_sends(user, text)
        action = Action(user.id, kind, datetime.now(UTC))
        self.hand_over(update)
        self.actions.append(action)
        with contextlib.suppress(TimeoutError):
            call = await asyncio.wait_for(answered, ANSWER_TIMEOUT)
            action.answered, action.answer_calls = call.at_utc, (id(call),)
        return action

    async def tap(self, user: FakeUser, message_id: int, data: str) -> Action:
        """``user`` taps a button of message ``message_id``; answered when that message is edited."""
        edited = self.api.wait_for(user.id, lambda c: c.method == "editMessageText" and c.params.get("message_id") == message_id)
        update = self.api.user_taps(user, message_id, data)
        answered = self.api.wait_for(("query", str(update["callback_query"]["id"])), lambda c: True)
        action = Action(user.id, "tap", datetime.now(UTC))
        self.hand_over(update)
        self.actions.append(action)
        with contextlib.suppress(TimeoutError):
            edit, answer = await asyncio.wait_for(asyncio.gather(edited, answered), ANSWER_TIMEOUT)
            action.answered, action.callback_answered, action.answer_calls = edit.at_utc, answer.at_utc, (id(edit), id(answer))
        return action


async def contact_acts(people: People, city: PlannedCity, code: str, titles: dict[str, str], think: tuple[float, float], rng: random.Random) -> None:
    """One city's contact: join, /topics, three taps, /hours; each after the previous answer and a pause."""
    user = FakeUser(id=city.contact_id, first_name=f"Contact {city.name}", language_code="en")

    async def pause() -> None:
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))

    if (await people.command(user, "join", f"/start {code}", "Welcome!")).answered is None:
        return
    await pause()
    shown = await people.command(user, "topics", "/topics", "Topics for")
    if shown.answered is None:
        return
    keyboard = _message_answering(people.api, shown)
    for key in city.topics:
        await pause()
        current = next(m for m in people.api.sent_to(user) if m.message_id == keyboard)
        button = next(b for row in current.buttons for b in row if b.text.endswith(f" {titles[key]}"))
        assert button.callback_data is not None
        if (await people.tap(user, keyboard, button.callback_data)).answered is None:
            return
    await pause()
    await people.command(user, "hours", f"/hours {city.hours}", "Meeting hours of")


def _message_answering(api: FakeBotApi, action: Action) -> int:
    """The message id of the bot's message that answered ``action`` (the /topics keyboard)."""
    [call_id] = action.answer_calls
    call = next(c for c in reversed(api.calls("sendMessage")) if id(c) == call_id)
    assert call.response is not None
    return int(call.response["result"]["message_id"])


@dataclass(frozen=True)
class ApiSummary:
    """What the Bot API saw besides the answers, counted in Telegram's process at the end."""

    notices_at_api: int  # messages sent that answered no action (what the outbox sent)
    coordinator_received: int  # of them, those to the coordinator's chat
    flood_refusals: int  # 429s the flood guard gave: the bot's pacing let too much through


# --------------------------------------------------------------------------------------------
# Telegram's process, and the benchmark's handle on it
# --------------------------------------------------------------------------------------------


class TelegramSide:
    """The benchmark's handle on Telegram's process: ask it for a phase and get the actions back."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()  # one request on the pipe at a time

    async def _ask(self, *request: Any) -> Any:
        async with self._lock:
            self._connection.send(request)
            try:
                kind, value = await asyncio.to_thread(self._connection.recv)
            except EOFError:
                raise RuntimeError(f"Telegram's process ended during {request[0]!r}") from None
        if kind == "error":
            raise RuntimeError(f"Telegram's process failed: {value}")
        return value

    async def command(self, user_id: int, first_name: str, text: str, answer_starts: str) -> Action:
        return await self._ask("command", user_id, first_name, text, answer_starts)  # type: ignore[no-any-return]

    async def contacts(self, planned: Sequence[PlannedCity], codes: dict[str, str], titles: dict[str, str], think: tuple[float, float], seed: int) -> list[Action]:
        """Every city's contact at once (``contact_acts``); their actions, once the last is answered."""
        return await self._ask("contacts", list(planned), codes, titles, think, seed)  # type: ignore[no-any-return]

    async def help(self, helpers: int) -> list[Action]:
        """``helpers`` people who never wrote before send /help at the same moment."""
        return await self._ask("help", helpers)  # type: ignore[no-any-return]

    async def webhook_set(self) -> bool:
        return await self._ask("webhook_set")  # type: ignore[no-any-return]

    async def summary(self) -> ApiSummary:
        return await self._ask("summary")  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def telegram_process(webhook: str | None) -> AsyncIterator[tuple[TelegramSide, str]]:
    """Start Telegram's process (the Bot API and the people); yields the handle and the Bot API's base URL.

    ``webhook``: the bot's local webhook URL the people's updates are posted to, or None (polling).
    """
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_telegram_main, args=(theirs, webhook), name="telegram", daemon=True)
    process.start()
    theirs.close()
    try:
        kind, base_url = await asyncio.to_thread(ours.recv)
        if kind == "error":
            raise RuntimeError(f"Telegram's process did not start: {base_url}")
        yield TelegramSide(ours), base_url
    finally:
        with contextlib.suppress(OSError):
            ours.send(("stop",))
        await asyncio.to_thread(process.join, 30)
        if process.is_alive():
            process.kill()
        ours.close()


def _telegram_main(connection: Connection, webhook: str | None) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_telegram(connection, webhook))


async def _telegram(connection: Connection, webhook: str | None) -> None:
    guard = FloodGuard()
    api = WatchedBotApi(token=DEFAULT_TOKEN, flood_guard=guard)
    try:
        async with serve_bot_api(api) as base_url:
            people = People(api, webhook)
            connection.send(("ok", base_url))
            try:
                while True:
                    name, *arguments = await asyncio.to_thread(connection.recv)
                    if name == "stop":
                        return
                    try:
                        connection.send(("ok", await _play(people, guard, name, arguments)))
                    except Exception as error:  # noqa: BLE001 -- told to the parent, which raises it
                        connection.send(("error", repr(error)))
            finally:
                await people.close()
    except EOFError:  # the benchmark's process has gone
        return
    except Exception as error:  # noqa: BLE001
        with contextlib.suppress(OSError):
            connection.send(("error", repr(error)))


async def _play(people: People, guard: FloodGuard, name: str, arguments: list[Any]) -> Any:
    api = people.api
    if name == "command":
        user_id, first_name, text, answer_starts = arguments
        return await people.command(FakeUser(id=user_id, first_name=first_name, language_code="en"), "setup", text, answer_starts)
    if name == "contacts":
        planned, codes, titles, think, seed = arguments
        before = len(people.actions)
        await asyncio.gather(*(contact_acts(people, c, codes[c.name], titles, think, random.Random(f"{seed}:{c.contact_id}")) for c in planned))
        return people.actions[before:]
    if name == "help":
        [helpers] = arguments
        before = len(people.actions)
        crowd = [FakeUser(id=HELP_FIRST_ID + n, first_name=f"Visitor {n}", language_code="en") for n in range(helpers)]
        await asyncio.gather(*(people.command(u, "help", "/help", "") for u in crowd))
        return people.actions[before:]
    if name == "webhook_set":
        return api.webhook() is not None
    if name == "summary":
        answer_ids = {i for a in people.actions for i in a.answer_calls}  # every answer, the setup's too
        notice_sends = [c for c in api.calls() if c.ok and c.method in ("sendMessage", "sendDocument") and id(c) not in answer_ids]
        return ApiSummary(
            notices_at_api=len(notice_sends),
            coordinator_received=sum(1 for c in notice_sends if c.params.get("chat_id") == COORDINATOR),
            flood_refusals=guard.refused,
        )
    raise ValueError(f"unknown request {name!r}")
