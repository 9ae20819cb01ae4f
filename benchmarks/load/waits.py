"""``python -m benchmarks.load.waits [the load run's options]``: the load run, with its waits timed.

Where an answer's time goes under load: each update's wait for a slot and its handler's run, each
service call (writer turn and all), each Bot API message's wait for admission by the rate limiter
(foreground: a person's answers; background: notices), each SQLite writer's wait for its turn in
the writer queue, how long each unit of work is held (reading, a person's, the background's), and
a planning run's parts (its snapshot, the planner in its process, its write). The functions are
wrapped with a stopwatch before the run and nothing else changes; the table follows the load run's
own.
"""

from __future__ import annotations

import collections
import functools
import inspect
import sys
import time
from collections.abc import Callable
from typing import Any

from telegram.ext import BaseUpdateProcessor

from handlers.rate_limit import TelegramRateLimiter
from storage import uow as units_of_work

WAITS: dict[str, list[float]] = collections.defaultdict(list)


def _timed_process_update(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def process_update(self: Any, update: object, coroutine: Any) -> Any:
        queued = time.perf_counter()

        async def running() -> Any:
            started = time.perf_counter()
            WAITS["update: wait for a slot"].append(started - queued)
            try:
                return await coroutine
            finally:
                WAITS["update: handler ran"].append(time.perf_counter() - started)

        return await original(self, update, running())

    return process_update


def _timed_admit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def admit(self: TelegramRateLimiter, chat: Any, *, queue: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, chat, queue=queue)
        finally:
            kind = "foreground" if queue is self._foreground else "background"
            WAITS[f"limiter: {kind} admission wait"].append(time.perf_counter() - started)

    return admit


def _timed_turn(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def take_turn(self: Any, *, background: bool = False) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, background=background)
        finally:
            WAITS[f"writers: {'background' if background else 'foreground'} turn wait"].append(time.perf_counter() - started)

    return take_turn


def _timed_hold(enter: Callable[..., Any], leave: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    held_since: dict[int, float] = {}

    @functools.wraps(enter)
    async def aenter(self: Any) -> Any:
        entered = await enter(self)
        held_since[id(self)] = time.perf_counter()
        return entered

    @functools.wraps(leave)
    async def aexit(self: Any, *exc: Any) -> Any:
        try:
            return await leave(self, *exc)
        finally:
            kind = "reading" if self._reading else "background" if self._background else "a person's"
            WAITS[f"unit of work held: {kind}"].append(time.perf_counter() - held_since.pop(id(self)))

    return aenter, aexit


def _timed_service_call(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            WAITS[name if name.startswith("planning run") else f"service: {name}"].append(time.perf_counter() - started)

    return call


def _timed_services() -> None:
    """Every public coroutine method of the services: a handler's call, writer turn and all."""
    import bot.services  # noqa: F401 -- imports every service module, so that the subclasses exist
    from bot.services.base import ServiceBase

    for service in ServiceBase.__subclasses__():
        for name, method in list(vars(service).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(method):
                setattr(service, name, _timed_service_call(f"{service.__name__}.{name}", method))


def _timed_planning_phases() -> None:
    """A planning run's parts: the snapshot it reads, the planner (in its own process), the write."""
    from bot.services import planning

    planning.solve_elsewhere = _timed_service_call("planning run: the planner, in its process", planning.solve_elsewhere)  # type: ignore[assignment]
    planning.PlanningService._snapshot = _timed_service_call("planning run: snapshot read", planning.PlanningService._snapshot)  # type: ignore[method-assign]
    planning.PlanningService._write = _timed_service_call("planning run: write", planning.PlanningService._write)  # type: ignore[method-assign]


def install() -> None:
    _timed_services()
    _timed_planning_phases()
    BaseUpdateProcessor.process_update = _timed_process_update(BaseUpdateProcessor.process_update)  # type: ignore[method-assign]
    TelegramRateLimiter._admit = _timed_admit(TelegramRateLimiter._admit)  # type: ignore[method-assign]
    units_of_work.WriterQueue.take_turn = _timed_turn(units_of_work.WriterQueue.take_turn)  # type: ignore[method-assign]
    units_of_work.SqlUnitOfWork.__aenter__, units_of_work.SqlUnitOfWork.__aexit__ = _timed_hold(  # type: ignore[method-assign]
        units_of_work.SqlUnitOfWork.__aenter__, units_of_work.SqlUnitOfWork.__aexit__
    )


def table() -> str:
    def quantile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    lines = [f"{'wait or hold (all phases)':42} {'n':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'sum s':>8}"]
    for name in sorted(WAITS):
        values = WAITS[name]
        lines.append(f"{name:42} {len(values):6} {quantile(values, 0.5):7.3f} {quantile(values, 0.95):7.3f} {max(values):7.3f} {sum(values):8.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    from benchmarks.load.__main__ import main

    install()
    sys.argv[0] = "python -m benchmarks.load.waits"
    try:
        main()
    finally:
        print(table())
