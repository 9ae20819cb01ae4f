"""The planner: pure code that finds times two cities can meet (no Telegram, no database, no clock).

Pipeline, as in Cal.com's slot code: weekly rules -> UTC windows one local day at a time
(``calendar``, ``ranges``) -> intersections -> grid slots scored by comfort (``engine``) ->
which requests the busy cities keep (``selection``, a maximum flow) -> assignment of all requests
(``solver``) or the slots of one pair (``queries``).
"""

from bot.planner.availability import parse_days_away, parse_weekly_hours, render_weekly_hours
from bot.planner.calendar import CityCalendar
from bot.planner.problem import (
    ClosedDay,
    FixedSession,
    MeetingRequest,
    NoTimeExplanation,
    NoTimeReason,
    Objective,
    PlanningProblem,
    PlanResult,
    Slot,
)
from bot.planner.queries import alternatives, candidate_slots, explain, weekly_overlap
from bot.planner.ranges import DateRange
from bot.planner.solver import plan

__all__ = [
    "CityCalendar",
    "ClosedDay",
    "DateRange",
    "FixedSession",
    "MeetingRequest",
    "NoTimeExplanation",
    "NoTimeReason",
    "Objective",
    "PlanResult",
    "PlanningProblem",
    "Slot",
    "alternatives",
    "candidate_slots",
    "explain",
    "parse_days_away",
    "parse_weekly_hours",
    "plan",
    "render_weekly_hours",
    "weekly_overlap",
]
