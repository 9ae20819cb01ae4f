"""The planner's inputs and outputs: plain frozen values, no behaviour beyond validation."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from types import MappingProxyType

from bot.domain import ClosedDay as ClosedDay
from bot.domain import InvalidInputError, utc
from bot.domain import NoTimeExplanation as NoTimeExplanation  # the planner's answer is a domain value
from bot.domain import NoTimeReason as NoTimeReason
from bot.planner.calendar import CityCalendar, CityId

RequestId = Hashable


@dataclass(frozen=True)
class MeetingRequest:
    """One match to plan: two cities, a duration and (for people) a topic."""

    id: RequestId
    city_a: CityId
    city_b: CityId
    duration_minutes: int
    topic: str | None = None


@dataclass(frozen=True)
class FixedSession:
    """A session already confirmed: it occupies its cities and counts toward their daily caps."""

    city_ids: tuple[CityId, ...]
    start_utc: datetime
    end_utc: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_utc", utc(self.start_utc))
        object.__setattr__(self, "end_utc", utc(self.end_utc))
        object.__setattr__(self, "city_ids", tuple(self.city_ids))


@dataclass(frozen=True)
class Objective:
    """After the number scheduled: ``comfort_weight x Σ comfort + earliness_weight x Σ earliness``."""

    comfort_weight: float = 1.0
    earliness_weight: float = 0.5


@dataclass(frozen=True)
class PlanningProblem:
    """Everything ``plan`` needs; ``now_utc`` is given, never read from a clock.

    The horizon is a range of local dates: a meeting's local date in each of its cities lies in
    ``[horizon_start, horizon_end]``. Starts lie on a grid of ``granularity_minutes`` counted from
    00:00 UTC (the granularity must divide a day).
    """

    now_utc: datetime
    horizon_start: date
    horizon_end: date
    min_notice: timedelta
    granularity_minutes: int
    max_per_city_day: int
    cities: Mapping[CityId, CityCalendar]
    requests: tuple[MeetingRequest, ...] = ()
    fixed_sessions: tuple[FixedSession, ...] = ()
    objective: Objective = field(default_factory=Objective)

    def __reduce__(self) -> tuple[type[PlanningProblem], tuple[object, ...]]:
        # A mapping proxy cannot be pickled, and the planning service hands the problem to a
        # process of its own (bot.services.planning): rebuild it from a plain dict there.
        return type(self), tuple(dict(value) if name == "cities" else value for name, value in ((f.name, getattr(self, f.name)) for f in fields(self)))

    def __post_init__(self) -> None:
        object.__setattr__(self, "now_utc", utc(self.now_utc))
        object.__setattr__(self, "cities", MappingProxyType(dict(self.cities)))
        object.__setattr__(self, "requests", tuple(self.requests))
        object.__setattr__(self, "fixed_sessions", tuple(self.fixed_sessions))
        if self.horizon_end < self.horizon_start:
            raise InvalidInputError(
                f"the horizon ends ({self.horizon_end}) before it starts ({self.horizon_start})"
            )
        if (self.horizon_end - self.horizon_start).days >= 4000:
            raise InvalidInputError("the horizon is longer than 4,000 days")
        if not 0 < self.granularity_minutes <= 1440 or 1440 % self.granularity_minutes:
            raise InvalidInputError(
                f"granularity {self.granularity_minutes} min does not divide a day (try 5, 10, 15, 30 or 60)"
            )
        if self.max_per_city_day < 0:
            raise InvalidInputError(f"the daily cap {self.max_per_city_day} is negative")
        seen: set[RequestId] = set()
        for request in self.requests:
            if request.id in seen:
                raise InvalidInputError(f"request {request.id!r} appears twice")
            seen.add(request.id)
            for city in (request.city_a, request.city_b):
                if city not in self.cities:
                    raise InvalidInputError(f"request {request.id!r} names unknown city {city!r}")
            if request.city_a == request.city_b:
                raise InvalidInputError(f"request {request.id!r} pairs city {request.city_a!r} with itself")
            if not 0 < request.duration_minutes < 1440:
                raise InvalidInputError(
                    f"request {request.id!r}: duration {request.duration_minutes} min is not between 1 and 1439"
                )

    def cap_of(self, city_id: CityId) -> int:
        own = self.cities[city_id].max_per_day
        return self.max_per_city_day if own is None else own

    def request(self, request_id: RequestId) -> MeetingRequest:
        for request in self.requests:
            if request.id == request_id:
                return request
        raise InvalidInputError(f"no request {request_id!r} in this problem")


@dataclass(frozen=True, order=True)
class Slot:
    """A possible meeting time; ``comfort`` as in planner-format.md (0 at a window edge, 1 centred)."""

    start_utc: datetime
    end_utc: datetime
    comfort: float


@dataclass(frozen=True)
class PlanResult:
    scheduled: dict[RequestId, datetime]
    unscheduled: dict[RequestId, NoTimeReason]
    comfort: dict[RequestId, float]
    score: float  # comfort_weight x Σ comfort + earliness_weight x Σ earliness
    count_bound: int | None = None  # no plan of this problem schedules more (see planner.selection)

    @property
    def scheduled_count(self) -> int:
        return len(self.scheduled)
