"""Updates run concurrently, but one chat's updates one at a time and in the order they came.

python-telegram-bot hands every update from its queue to an update processor
(:class:`telegram.ext.BaseUpdateProcessor`): ``process_update`` takes one of
``max_concurrent_updates`` slots, then calls ``do_process_update`` with the coroutine that runs
the handlers. Its own ``SimpleUpdateProcessor`` simply awaits it, so two taps of one person could
run at once and finish in either order (the second keyboard edit overwritten by the first, a
setting read back before it was written). :class:`OneChatInOrder` keeps a person's updates in
order and still lets everyone else's run beside them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


def chat_key(update: object) -> int | None:
    """Whose turn an update waits for: its chat, else its sender (a private chat's id is the user's
    id, so a tap on a message without a chat still queues with that person's chat); None: anyone's."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class OneChatInOrder(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` chats' updates run at once; one chat's run one after another,
    in the order python-telegram-bot hands them over (the order they arrived in).

    The first update of an idle chat runs in its own slot and then runs, in the same slot, every
    update of that chat that arrived meanwhile; those only join the chat's line and return, so a
    person who sends fifty messages holds one slot, never fifty, and nobody else waits behind
    them. The line is dropped as soon as it is empty, so memory grows with the chats busy right
    now, not with the chats ever seen. Updates of no chat and no user run at once.

    python-telegram-bot takes slots first come, first served (asyncio's semaphore is fair), so the
    order in which ``do_process_update`` is called is the order updates left the update queue.
    """

    __slots__ = ("_lines",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._lines: dict[int, deque[Awaitable[Any]]] = {}

    @property
    def busy_chats(self) -> int:
        """How many chats have an update running now (each holds one line in memory)."""
        return len(self._lines)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        line = self._lines.get(key)
        if line is not None:  # the chat's update in progress runs this one after the ones before it
            line.append(coroutine)
            return
        self._lines[key] = line = deque([coroutine])
        try:
            while line:
                try:
                    await line.popleft()
                except Exception:  # Application.process_update handles handler errors; this is anything else
                    log.exception("an update of chat %s failed outside its handlers", key)
        finally:
            del self._lines[key]
            while line:  # cancelled (shutdown): what never started is closed, not left unawaited
                left = line.popleft()
                if hasattr(left, "close"):
                    left.close()

    async def initialize(self) -> None:
        """Nothing to open: the lines are made as chats get busy."""

    async def shutdown(self) -> None:
        """Nothing to close: ``Application.stop`` has already waited for every running update."""
