"""Telegram's flood limits, with a person's own answers first.

Telegram allows a bot about 30 messages a second overall, one a second per chat and 20 a minute
per group; more is answered ``429 Too Many Requests``. Every call python-telegram-bot makes goes
through :class:`TelegramRateLimiter` (installed by ``tandem.app.build_application``), which
admits them one at a time within those limits:

* **Foreground first.** A call made while handling an update (a reply, the edit of the message a
  person tapped) is foreground; a call of the delivery service (notices, reminders, invites)
  passes :class:`Background` as ``rate_limit_args`` and is background. Whenever a slot is free,
  the oldest foreground call whose chat may receive is admitted before any background call; and
  background calls may fill the overall budget only up to ``background_share`` of it, so a
  person's answer finds room at once even while a fan-out runs at full speed. Among background
  calls, a timely one (``Background.timely``: a reminder) goes before the others.
* **Within the limits.** Overall and per group, leaky buckets like Telegram's (and like
  ``offline_bot_api.FloodGuard``, which checks us); per chat, ``per_chat_interval`` between the
  end of one message and the start of the next. Only calls that Telegram counts as messages are
  paced (``send*`` except ``sendChatAction``, ``copy*``, ``forward*``, ``editMessage*``);
  ``answerCallbackQuery``, ``getMe``, ``setWebhook`` … go at once.
* **Handed over after the wait.** :attr:`Background.handing_over` is awaited after admission and
  immediately before the HTTP call (never again on a retry): the delivery service stamps the
  outbox row there, so a row marked "handed over" has really gone to the network, and a sender
  that stops while a message waits here gives it back unsent.
* **429 anyway** (another process on the same token, Telegram's own view of time): the chat
  that was refused waits ``retry_after`` + 0.1 s as told (every call, for a call without a
  chat), other chats go on within the limits, and the refused call is retried, at most ``max_retries`` times; after that ``RetryAfter`` reaches the caller.

Several processes on one token share Telegram's limits: give each ``[telegram]
messages_per_second`` = 30 / the number of processes.

``speed`` runs every interval faster (tests: a fast clock for the pacing, not a switch).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class Background:
    """``rate_limit_args`` of a delivery call: it yields to foreground calls.

    ``handing_over`` (if given) runs once, after admission and right before the first HTTP call;
    if it raises, the call is not made and the exception reaches the caller.
    """

    handing_over: Callable[[], Awaitable[None]] | None = None
    # A reminder: admitted before the other background calls (still after foreground ones and
    # within the background share), so a fan-out of notices queued earlier never makes it late.
    timely: bool = False


def counts_as_message(endpoint: str) -> bool:
    """What Telegram's flood limits count (the same rule as the offline Bot API's)."""
    lower = endpoint.lower()
    return lower != "sendchataction" and lower.startswith(("send", "copymessage", "forwardmessage", "editmessage"))


@dataclass(order=True)
class _Ticket:
    sequence: int
    chat: int | str | None = field(compare=False)
    admitted: asyncio.Future[None] = field(compare=False)


class _Bucket:
    """A leaky bucket: each message adds 1, it drains at ``rate`` a second, never above ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.level = 0.0
        self.at = -math.inf

    def _drained(self, now: float) -> float:
        return max(0.0, self.level - (now - self.at) * self.rate) if self.at > -math.inf else 0.0

    def ready_at(self, now: float, limit: float) -> float:
        """When one more message fits under ``limit``."""
        level = self._drained(now)
        return now if level + 1 <= limit + 1e-9 else now + (level + 1 - limit) / self.rate

    def add(self, now: float) -> None:
        self.level = self._drained(now) + 1
        self.at = now


class TelegramRateLimiter(BaseRateLimiter[Any]):
    """Admits Bot API calls within Telegram's limits, foreground before background (see module).

    Typed ``BaseRateLimiter[Any]`` so that it fits the bot's ``ExtBot[None]`` (handlers pass no
    ``rate_limit_args``); only :class:`Background` or ``None`` is ever given.
    """

    def __init__(
        self,
        *,
        messages_per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        group_messages_per_minute: float = 20.0,
        background_share: float = 0.8,
        max_retries: int = 3,
        speed: float = 1.0,
    ) -> None:
        if messages_per_second <= 0 or speed <= 0 or not 0 < background_share <= 1:
            raise ValueError("messages_per_second and speed must be positive, background_share in (0, 1]")
        self.speed = speed
        self.max_retries = max_retries
        self.per_chat_interval = per_chat_interval / speed
        burst = max(1.0, messages_per_second)  # a second's worth at once, as Telegram's own bucket allows
        self._overall = _Bucket(messages_per_second * speed, burst)
        self._background_limit = max(1.0, burst * background_share)
        self._group_rate = group_messages_per_minute / 60.0 * speed
        self._group_burst = max(1.0, group_messages_per_minute - 1)
        self._groups: dict[int | str, _Bucket] = {}
        self._chat_free_at: dict[int | str, float] = {}  # when the chat may receive again
        self._chat_busy: set[int | str] = set()  # a message to it is on the way
        self._foreground: deque[_Ticket] = deque()
        self._timely: deque[_Ticket] = deque()  # background calls that are due at a moment that matters
        self._background: deque[_Ticket] = deque()
        self._sequence = itertools.count()
        self._paused_until = 0.0
        self._changed = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        """Nothing to open; the dispatcher starts with the first call."""

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot (foreground and background)."""
        return len(self._foreground) + len(self._timely) + len(self._background)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Background | None,
    ) -> JSON:
        paced = counts_as_message(endpoint)
        chat = _chat_key(data.get("chat_id")) if paced else None
        background = rate_limit_args if isinstance(rate_limit_args, Background) else None
        handing_over = background.handing_over if background is not None else None
        for attempt in range(self.max_retries + 1):
            if paced:
                await self._admit(chat, queue=self._foreground if background is None else self._timely if background.timely else self._background)
            elif self._paused_until > self._now():
                await asyncio.sleep(self._paused_until - self._now())
            wait_after = 0.0
            try:
                if handing_over is not None:
                    await handing_over()
                    handing_over = None
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                seconds = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
                wait_after = (seconds + 0.1) / self.speed
                log.info("Telegram asked to wait %.1f s (429) for chat %s", seconds, chat)
                if chat is None:
                    self._paused_until = max(self._paused_until, self._now() + wait_after)
            finally:
                if paced:
                    self._release(chat, wait_after)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- admission ----------------------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _admit(self, chat: int | str | None, *, queue: deque[_Ticket]) -> None:
        ticket = _Ticket(next(self._sequence), chat, asyncio.get_running_loop().create_future())
        queue.append(ticket)
        self._changed.set()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="telegram-rate-limiter")
        try:
            await ticket.admitted
        except asyncio.CancelledError:
            for waiting in (self._foreground, self._timely, self._background):
                with contextlib.suppress(ValueError):
                    waiting.remove(ticket)
            if ticket.admitted.done() and not ticket.admitted.cancelled():
                self._release(chat)  # admitted just as the caller gave up: free the chat again
            self._changed.set()
            raise

    def _release(self, chat: int | str | None, wait_after: float = 0.0) -> None:
        if chat is not None:
            self._chat_busy.discard(chat)
            self._chat_free_at[chat] = self._now() + max(self.per_chat_interval, wait_after)
            self._forget_idle_chats()
        self._changed.set()

    def _chat_ready_at(self, chat: int | str | None, now: float) -> float:
        if chat is None:
            return now
        if chat in self._chat_busy:
            return math.inf  # its release wakes the dispatcher
        ready = self._chat_free_at.get(chat, now)
        group = self._groups.get(chat)
        if group is not None:
            ready = max(ready, group.ready_at(now, self._group_burst))
        return ready

    def _pick(self, now: float) -> tuple[_Ticket | None, float]:
        """The ticket to admit now, or None and when to look again."""
        soonest = max(now, self._paused_until)
        if soonest > now:
            return None, soonest
        soonest = math.inf
        queues = ((self._foreground, self._overall.burst), (self._timely, self._background_limit), (self._background, self._background_limit))
        for queue, limit in queues:
            overall_at = self._overall.ready_at(now, limit)
            if overall_at > now:
                soonest = min(soonest, overall_at)
                continue
            blocked: set[int | str | None] = set()  # one chat's calls stay in order
            for ticket in queue:
                if ticket.chat in blocked:
                    continue
                at = self._chat_ready_at(ticket.chat, now)
                if at <= now:
                    return ticket, now
                soonest = min(soonest, at)
                if ticket.chat is not None:
                    blocked.add(ticket.chat)
        return None, soonest

    async def _dispatch(self) -> None:
        while self._foreground or self._timely or self._background:
            self._changed.clear()
            now = self._now()
            ticket, again_at = self._pick(now)
            if ticket is None:
                timeout = None if again_at == math.inf else max(0.0, again_at - now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
                continue
            next(queue for queue in (self._foreground, self._timely, self._background) if ticket in queue).remove(ticket)
            if ticket.admitted.done():  # its caller gave up
                continue
            self._overall.add(now)
            if ticket.chat is not None:
                self._chat_busy.add(ticket.chat)
                if _is_group(ticket.chat):
                    self._groups.setdefault(ticket.chat, _Bucket(self._group_rate, self._group_burst)).add(now)
            ticket.admitted.set_result(None)
            await asyncio.sleep(0)  # let the admitted call start before the next decision

    def _forget_idle_chats(self) -> None:
        if len(self._chat_free_at) < 4096:
            return
        now = self._now()
        for chat, at in list(self._chat_free_at.items()):
            if at < now and chat not in self._chat_busy:
                del self._chat_free_at[chat]
                group = self._groups.get(chat)
                if group is not None and group.ready_at(now, 0) <= now:
                    del self._groups[chat]


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)  # type: ignore[call-overload,no-any-return]
    return str(chat_id)


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0
