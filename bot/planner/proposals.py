"""What a planning run proposes: each planned request's offered slots, the planner's choice first,
and why each other request has no common time. Pure, like the rest of the planner; the planning
service runs it in a process of its own (``bot.services.planning.solve_elsewhere``), so the
problem and the proposals are plain picklable values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain import NoTimeExplanation
from bot.planner.problem import PlanningProblem, RequestId, Slot
from bot.planner.queries import every_alternative, every_explanation
from bot.planner.solver import plan

OPTIONS_CONSIDERED = 200  # free slots looked at when choosing the alternatives to offer


@dataclass(frozen=True)
class Proposals:
    slots: dict[RequestId, list[Slot]]  # a planned request -> its offered slots, the planner's choice first
    reasons: dict[RequestId, NoTimeExplanation]  # a request without a common time -> why


def distinct_days(slots: list[Slot], count: int) -> list[Slot]:
    """The planner's choice first, then the best slots of other days, then the rest.

    The next best slot is usually the chosen one shifted by 15 minutes, which gives a coordinator
    no real choice; an alternative on another day does (worked example: 16:00, 16:15 and 16:30 on
    Wednesday become Wednesday 16:00, Tuesday 15:00 and Thursday 16:00).
    """
    chosen: list[Slot] = []
    days: set[object] = set()
    for slot in slots:
        if slot.start_utc.date() not in days:
            chosen.append(slot)
            days.add(slot.start_utc.date())
        if len(chosen) == count:
            return chosen
    return chosen + [s for s in slots if s not in chosen][: count - len(chosen)]


def propose(problem: PlanningProblem, slots_offered: int) -> Proposals:
    result = plan(problem)
    options = every_alternative(problem, result, OPTIONS_CONSIDERED)
    slots = {request_id: distinct_days(found, slots_offered) for request_id, found in options.items()}
    reasons = {request_id: replace(why, earliest_start_utc=None) for request_id, why in every_explanation(problem, result).items()}
    return Proposals(slots, reasons)
