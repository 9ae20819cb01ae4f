"""Batch planning: choose which requests by a max-flow b-matching, place them slot by slot, repair.

The count comes first, and the count is decided by the busy cities. In ``public-xl`` (1,000
cities, 15,000 requests) 214 cities are asked for more meetings than their open days hold at two
a day; Panjin alone by 101 partners for 36 seats. So the planner first decides *which* requests
to keep, at city level, and only then *when*:

1. Selection (``selection``): the fractional b-matching of requests to cities' seats, solved
   exactly as a maximum flow in 0.1 s, gives each request x = 1, 1/2 or 0 and a proven upper
   bound on the count (12,245 on public-xl). Requests are taken x = 1 first, then 1/2, then 0,
   each group most constrained first (fewest candidate slots). This order alone places 12,106
   where most-constrained-first places 11,826.
2. Greedy: each request at its best-scoring free slot (comfort, then earliness).
3. Repair: a request the b-matching kept but the greedy could not place gets in by an ejection
   chain. A hub with a two-hour daily overlap fits two 60-minute meetings a day only at 15:00 and
   16:00; if one sits at 15:30 (the most comfortable), the chain moves it to 16:00, and the
   meeting that held 16:00 on to another day (12,106 -> 12,139).
4. Exchange, one out and two in: a waiting request takes the slot of a meeting M, and M moves
   elsewhere, or another waiting request takes the time M freed: a 90-minute meeting that filled
   a hub's day gives way to two 60-minute ones (-> 12,165). The kept requests go first; a
   smaller pass then tries all, since the b-matching counts seats, not minutes (-> 12,166). In
   that pass the filler may move one meeting out of its way: when M's day still has its seats
   taken, a meeting that could sit on another day moves there to make room (Berlin's day with a
   90-minute meeting and a 30-minute one becomes two 30-minute ones, the other moving a day).
5. Hub rebuild, a large-neighbourhood move: all meetings of one busy city are freed and re-placed
   shortest first at their earliest slots (interval scheduling packs most), then chains, then
   moves back to comfort; kept only if it schedules more, or as many with a better score
   (-> 12,167). Then the same for a few other cities where a request still waits, kept only if
   it schedules more (it finds the odd meeting on tiny problems; no public instance gains).
6. Score: moves to better free slots and swaps that displace one meeting (9,946 at 12,167).

Work, not time, bounds every search: candidate tries per request and per pass
(``REPAIR_BUDGET``, ``EXCHANGE_WORK`` ...), meeting visits for the score passes. The same problem
therefore gives the same plan, byte for byte, on any machine, and the time scales with the speed
of one core: public-xl takes 3.3-3.7 s of CPU here (large 1.1 s, medium 0.35 s with the import
of the holiday rules), so xl stays within 5 s on a core three quarters as fast as this machine's.
``benchmarks/planner`` measures it beside a plain greedy, an LP-guided greedy and CP-SAT.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.planner.engine import DAY_SLOTS, Candidates, Occupancy, Prepared, build_candidates
from bot.planner.problem import NoTimeReason, PlanningProblem, PlanResult
from bot.planner.reasons import reasons_without_slots
from bot.planner.selection import fractional_b_matching

MAX_BLOCKERS = 2  # meetings a move may displace at once
REPAIR_DEPTH = 3  # links of an ejection chain
REPAIR_BUDGET = 400  # candidate tries per request the repair may spend
EXCHANGE_BUDGET = 5000  # candidate tries per waiting request in the one-out-two-in pass
EXCHANGE_DEPTH = 1  # links of the chain that re-places the meeting a waiting request displaces
FILLER_DEPTH = 0  # a filler takes the freed time as it is: chains for it would spend the budget others need
FILLER_DEPTH_ALL = 1  # but in the smaller pass over all requests it may displace one meeting
EXCHANGE_WORK = 400_000  # candidate tries of the exchange pass in all, whatever the size
HUB_MIN_REQUESTS = 20  # cities with at least this many requests get re-planned as a whole
HUB_REPAIR_BUDGET = 2000
REBUILD_WORK = 300  # requests of non-hub cities re-planned in all: a dozen cities at large, all of a tiny problem
IMPROVE_PASSES = 4  # at most, while they gain
IMPROVE_WORK = 6_000  # meeting visits of the passes in all
SWAP_WORK = 120_000  # better candidates the swap pass looks at in all: 9 per meeting at xl
SWAP_TRIES = (8, 32)  # and at least / at most per meeting


@dataclass
class Search:
    """The mutable assignment: request -> candidate index (-1 unscheduled), with an undo journal."""

    candidates: Candidates
    durations: list[int]
    keys_a: list[int]
    keys_b: list[int]
    caps_a: list[int]
    caps_b: list[int]
    occupancy: Occupancy

    def __post_init__(self) -> None:
        self.assignment = [-1] * len(self.durations)
        self.journal: list[tuple[int, int]] = []
        self._by_start: dict[int, list[int]] = {}

    @classmethod
    def of(cls, prepared: Prepared, candidates: Candidates, occupancy: Occupancy) -> Search:
        requests = prepared.problem.requests
        keys = [prepared.keys(request) for request in requests]
        return cls(
            candidates,
            [request.duration_minutes for request in requests],
            [key_a for key_a, _ in keys],
            [key_b for _, key_b in keys],
            [prepared.caps[key_a // DAY_SLOTS] for key_a, _ in keys],
            [prepared.caps[key_b // DAY_SLOTS] for _, key_b in keys],
            occupancy,
        )

    def fits(self, request: int, k: int) -> bool:
        c = self.candidates
        start = c.start[k]
        end = start + self.durations[request]
        occupancy = self.occupancy
        return occupancy.fits(self.keys_a[request] + c.day_a[k], self.caps_a[request], start, end) and occupancy.fits(
            self.keys_b[request] + c.day_b[k], self.caps_b[request], start, end
        )

    def _place(self, request: int, k: int) -> None:
        c = self.candidates
        start = c.start[k]
        end = start + self.durations[request]
        self.occupancy.add(self.keys_a[request] + c.day_a[k], start, end, request)
        self.occupancy.add(self.keys_b[request] + c.day_b[k], start, end, request)

    def _unplace(self, request: int, k: int) -> None:
        c = self.candidates
        self.occupancy.remove(self.keys_a[request] + c.day_a[k], request)
        self.occupancy.remove(self.keys_b[request] + c.day_b[k], request)

    def assign(self, request: int, k: int) -> None:
        """Move ``request`` to candidate ``k`` (-1: unschedule), remembering how to undo it."""
        old = self.assignment[request]
        if old >= 0:
            self._unplace(request, old)
        if k >= 0:
            self._place(request, k)
        self.assignment[request] = k
        self.journal.append((request, old))

    def rollback(self, mark: int) -> None:
        while len(self.journal) > mark:
            request, old = self.journal.pop()
            current = self.assignment[request]
            if current >= 0:
                self._unplace(request, current)
            if old >= 0:
                self._place(request, old)
            self.assignment[request] = old

    def by_start(self, request: int) -> list[int]:
        """The request's candidate indexes in time order (computed once per request)."""
        ks = self._by_start.get(request)
        if ks is None:
            c = self.candidates
            ks = self._by_start[request] = sorted(range(c.offsets[request], c.offsets[request + 1]), key=c.start.__getitem__)
        return ks

    def change_since(self, mark: int) -> tuple[int, float]:
        """(more scheduled, score gained) since journal position ``mark``, from the journal alone."""
        first_old: dict[int, int] = {}
        for request, old in self.journal[mark:]:
            first_old.setdefault(request, old)
        score = self.candidates.score
        count, gain = 0, 0.0
        for request, old in first_old.items():
            new = self.assignment[request]
            count += (new >= 0) - (old >= 0)
            gain += (score[new] if new >= 0 else 0.0) - (score[old] if old >= 0 else 0.0)
        return count, round(gain, 9)

    def best_fit(self, request: int, better_than: float = float("-inf"), budget: list[int] | None = None) -> int:
        """The best-scoring candidate that fits now and beats ``better_than``, or -1."""
        cap_a, cap_b = self.caps_a[request], self.caps_b[request]
        if cap_a <= 0 or cap_b <= 0:
            return -1
        days = self.occupancy.days
        overhang = self.occupancy.overhang  # fixed sessions from another local day: block, take no seat
        hang_a = hang_b = None
        key_a, key_b = self.keys_a[request], self.keys_b[request]
        duration = self.durations[request]
        starts, scores = self.candidates.start, self.candidates.score
        best, best_score = -1, better_than
        looked = 0
        for day_a, day_b, first, end, top in self.candidates.buckets[request]:
            if top <= best_score:
                break
            looked += 1
            taken_a = days.get(key_a + day_a)
            if taken_a and len(taken_a) >= cap_a:
                continue
            taken_b = days.get(key_b + day_b)
            if taken_b and len(taken_b) >= cap_b:
                continue
            if overhang:
                hang_a, hang_b = overhang.get(key_a + day_a), overhang.get(key_b + day_b)
            for k in range(first, end):
                score = scores[k]
                if score <= best_score:
                    break
                looked += 1
                start = starts[k]
                finish = start + duration
                if taken_a and any(s < finish and start < e for s, e, _ in taken_a):
                    continue
                if taken_b and any(s < finish and start < e for s, e, _ in taken_b):
                    continue
                if hang_a and any(s < finish and start < e for s, e in hang_a):
                    continue
                if hang_b and any(s < finish and start < e for s, e in hang_b):
                    continue
                best, best_score = k, score
                break
        if budget is not None:
            budget[0] -= looked
        return best

    def blocker_sets(self, request: int, k: int) -> list[frozenset[int]]:
        c = self.candidates
        start = c.start[k]
        end = start + self.durations[request]
        side_a = self.occupancy.blockers(self.keys_a[request] + c.day_a[k], self.caps_a[request], start, end)
        if side_a is None:
            return []
        side_b = self.occupancy.blockers(self.keys_b[request] + c.day_b[k], self.caps_b[request], start, end)
        if side_b is None:
            return []
        options = {a | b for a in side_a for b in side_b}
        return sorted((o for o in options if len(o) <= MAX_BLOCKERS), key=lambda o: (len(o), sorted(o)))

    def insert(self, request: int, depth: int, chain: frozenset[int], budget: list[int]) -> bool:
        """Place ``request``, displacing up to ``MAX_BLOCKERS`` meetings that are re-placed recursively."""
        k = self.best_fit(request, budget=budget)
        if k >= 0:
            self.assign(request, k)
            return True
        if depth == 0:
            return False
        for _, _, first, end, _ in self.candidates.buckets[request]:
            for k in range(first, end):
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                for blockers in self.blocker_sets(request, k):
                    if blockers & chain:
                        continue
                    mark = len(self.journal)
                    for blocker in sorted(blockers):
                        self.assign(blocker, -1)
                    self.assign(request, k)
                    next_chain = chain | blockers | {request}
                    if all(self.insert(blocker, depth - 1, next_chain, budget) for blocker in sorted(blockers)):
                        return True
                    self.rollback(mark)
        return False


def _greedy(search: Search, order: list[int]) -> None:
    for request in order:
        k = search.best_fit(request)
        if k >= 0:
            search.assign(request, k)


def _repair(search: Search, order: list[int]) -> None:
    for request in order:
        if search.assignment[request] < 0 and search.candidates.offsets[request] < search.candidates.offsets[request + 1]:
            search.insert(request, REPAIR_DEPTH, frozenset(), [REPAIR_BUDGET])
    search.journal.clear()


def _exchange(
    search: Search, order: list[int], city_of: list[tuple[int, int]], fillers_from: list[int], work: int, filler_depth: int = 0
) -> None:
    """One out, two in: give request R (from ``order``) the slot of meeting M, then fill M's freed
    time with another waiting request (from ``fillers_from``), or move M elsewhere.

    A hub day with two common hours holds one 90-minute meeting or two 60-minute ones; when the
    90-minute one cannot move, swapping it for two shorter requests still adds one to the count.
    At most ``work`` candidate tries in all.
    """
    waiting_by_city: dict[int, list[int]] = {}
    for request in fillers_from:
        if search.assignment[request] < 0:
            for city in city_of[request]:
                waiting_by_city.setdefault(city, []).append(request)
    candidates = search.candidates
    work_left = work
    for request in order:
        if search.assignment[request] >= 0 or candidates.offsets[request] == candidates.offsets[request + 1]:
            continue
        if work_left <= 0:
            break
        allowance = min(EXCHANGE_BUDGET, work_left)
        budget = [allowance]
        done = False
        for _, _, first, end, _ in candidates.buckets[request]:
            for k in range(first, end):
                if done or budget[0] <= 0:
                    break
                budget[0] -= 1
                for blockers in search.blocker_sets(request, k):
                    if len(blockers) != 1:
                        continue
                    (blocker,) = blockers
                    mark = len(search.journal)
                    search.assign(blocker, -1)
                    search.assign(request, k)
                    if search.insert(blocker, EXCHANGE_DEPTH, frozenset((request, blocker)), budget):
                        done = True
                        break
                    fillers = dict.fromkeys(
                        other
                        for city in city_of[blocker]
                        for other in waiting_by_city.get(city, ())
                        if other != request and search.assignment[other] < 0
                    )
                    if any(search.insert(other, filler_depth, frozenset((request, blocker, other)), budget) for other in fillers):
                        done = True
                        break
                    search.rollback(mark)
            if done or budget[0] <= 0:
                break
        work_left -= allowance - max(budget[0], 0)
    search.journal.clear()


def _earliest_fit(search: Search, request: int) -> int:
    for k in search.by_start(request):
        if search.fits(request, k):
            return k
    return -1


def _rebuild_hubs(search: Search, city_of: list[tuple[int, int]]) -> None:
    """Re-plan all meetings of each busy city from scratch, packed tight; keep it if it plans more.

    The score-first construction puts a hub's meetings in the middle of its overlaps, where a
    90-minute meeting can take a whole day; here the hub's requests go in shortest first at
    their earliest slot (as interval scheduling packs most), then chains place the rest and moves
    win the comfort back. The result replaces the old one only if it schedules more, or as many
    with a better score.

    Then other cities where a request still waits, most waiting first, get the same while their
    requests add up to ``REBUILD_WORK``, kept only if they schedule more: two days of a pair, one
    with 90 minutes free and one with 120, hold three 30-minute and two 60-minute meetings, which
    the earlier passes miss once a 90-minute one holds the longer day (no move of one or two
    meetings gets there). On the public instances none of these gains, so their plans stay as
    they were.
    """
    requests_of_city: dict[int, list[int]] = {}
    for request, cities in enumerate(city_of):
        for city in cities:
            requests_of_city.setdefault(city, []).append(request)
    # Busy: at least HUB_MIN_REQUESTS and half again the mean number of requests per city.
    mean = 2 * len(city_of) / max(len(requests_of_city), 1)
    threshold = max(HUB_MIN_REQUESTS, 1.5 * mean)
    busy_cities = sorted(
        (city for city, requests in requests_of_city.items() if len(requests) >= threshold),
        key=lambda city: (-len(requests_of_city[city]), city),
    )
    for city in busy_cities:
        _rebuild(search, requests_of_city[city], keep_as_many=True)
    offsets = search.candidates.offsets
    hubs = set(busy_cities)
    waiting: dict[int, int] = {}
    for request, cities in enumerate(city_of):
        if search.assignment[request] < 0 and offsets[request] < offsets[request + 1]:
            for city in cities:
                if city not in hubs:
                    waiting[city] = waiting.get(city, 0) + 1
    work = REBUILD_WORK
    for city in sorted(waiting, key=lambda city: (-waiting[city], len(requests_of_city[city]), city)):
        work -= len(requests_of_city[city])
        if work < 0:
            break
        _rebuild(search, requests_of_city[city], keep_as_many=False)


def _rebuild(search: Search, requests: list[int], *, keep_as_many: bool) -> None:
    """Free ``requests`` and place them again, shortest first at their earliest slot, then chains
    and moves to comfort; keep it if it schedules more (or, ``keep_as_many``, as many and better)."""
    c = search.candidates
    score = c.score
    offsets = c.offsets
    mark = len(search.journal)
    for request in requests:
        search.assign(request, -1)
    for request in sorted(requests, key=lambda r: (search.durations[r], offsets[r + 1] - offsets[r], r)):
        k = _earliest_fit(search, request)
        if k >= 0:
            search.assign(request, k)
    budget = [HUB_REPAIR_BUDGET]
    for request in requests:
        if search.assignment[request] < 0 and offsets[request] < offsets[request + 1]:
            search.insert(request, 2, frozenset(), budget)
    for request in requests:
        current = search.assignment[request]
        if current >= 0:
            search.assign(request, -1)
            better = search.best_fit(request, better_than=score[current])
            search.assign(request, better if better >= 0 else current)
    gained = search.change_since(mark)
    if gained <= (0, 0.0) or (not keep_as_many and gained[0] <= 0):
        search.rollback(mark)
    search.journal.clear()


def _improve(search: Search, order: list[int]) -> None:
    """Move meetings to better free slots, then try swaps that displace one meeting for a net gain.

    Passes repeat while they gain and another whole pass fits in what is left of
    ``IMPROVE_WORK`` meeting visits: one pass at xl (about 12,000 meetings), two at large
    (2,700), up to ``IMPROVE_PASSES`` on smaller plans. A swap looks at ``SWAP_WORK`` / meetings
    better slots per meeting, within ``SWAP_TRIES``: 9 at xl, 32 at large and below.
    """
    score = search.candidates.score
    work = IMPROVE_WORK
    meetings = sum(1 for k in search.assignment if k >= 0)
    tries = min(max(SWAP_WORK // max(meetings, 1), SWAP_TRIES[0]), SWAP_TRIES[1])
    for n in range(IMPROVE_PASSES):
        if n and work < meetings:
            break
        gained = False
        for request in order:
            current = search.assignment[request]
            if current < 0:
                continue
            work -= 1
            search.assign(request, -1)
            better = search.best_fit(request, better_than=score[current])
            search.assign(request, better if better >= 0 else current)
            gained |= better >= 0
        for request in order:
            gained |= _swap(search, request, tries)
        search.journal.clear()
        if not gained:
            break


def _swap(search: Search, request: int, tries: int) -> bool:
    """Take a better slot held by one other meeting, moving that one to its best free slot, if it pays."""
    current = search.assignment[request]
    if current < 0:
        return False
    candidates = search.candidates
    score = candidates.score
    assignment = search.assignment
    tried = 0
    for _, _, first, end, top in candidates.buckets[request]:
        if top <= score[current] or tried >= tries:
            break
        for k in range(first, end):
            if score[k] <= score[current] or tried >= tries:
                break
            tried += 1
            for blockers in search.blocker_sets(request, k):
                others = blockers - {request}
                if len(others) != 1:
                    continue
                (blocker,) = others
                held = assignment[blocker]
                # Cheap bound first: even the blocker's best slot anywhere must make up the loss.
                if score[k] - score[current] + candidates.buckets[blocker][0][4] - score[held] <= 1e-9:
                    continue
                mark = len(search.journal)
                search.assign(request, -1)
                search.assign(blocker, -1)
                if not search.fits(request, k):
                    search.rollback(mark)
                    continue
                search.assign(request, k)
                moved = search.best_fit(blocker, better_than=score[current] + score[held] - score[k] + 1e-9)
                if moved >= 0:
                    search.assign(blocker, moved)
                    return True
                search.rollback(mark)
    return False


def _capacities(prepared: Prepared, search: Search) -> list[int]:
    """How many meetings each city can take in the horizon: its cap on each day it has a slot.

    Fixed sessions take their seats first: a city with cap 2 and one confirmed session on a day
    has one seat left that day.
    """
    days: dict[int, int] = {}
    c = search.candidates
    for request in range(len(search.durations)):
        key_a, key_b = search.keys_a[request], search.keys_b[request]
        for day_a, day_b, _, _, _ in c.buckets[request]:
            days[key_a + day_a] = 0
            days[key_b + day_b] = 0
    capacity = [0] * len(prepared.city_ids)
    for key in days:
        city = key // DAY_SLOTS
        fixed = len(search.occupancy.days.get(key, ()))
        capacity[city] += max(prepared.caps[city] - fixed, 0)
    return capacity


def plan(problem: PlanningProblem) -> PlanResult:
    """Plan every request of ``problem``; same problem, same result."""
    prepared = Prepared(problem)
    candidates = build_candidates(problem, prepared.clock, problem.requests, prepared.pieces)
    search = Search.of(prepared, candidates, prepared.occupancy())
    offsets = candidates.offsets
    count = len(problem.requests)
    city_of = [(search.keys_a[r] // DAY_SLOTS, search.keys_b[r] // DAY_SLOTS) for r in range(count)]
    edges = [city_of[r] if offsets[r] < offsets[r + 1] else None for r in range(count)]
    x, relaxation = fractional_b_matching(len(prepared.city_ids), _capacities(prepared, search), edges)
    # Requests the b-matching keeps first, then the most constrained (fewest slots), then input order.
    order = sorted(range(count), key=lambda r: (-x[r], offsets[r + 1] - offsets[r], r))
    wanted = [r for r in order if x[r] > 0]
    _greedy(search, order)
    _repair(search, wanted)
    _exchange(search, wanted, city_of, fillers_from=wanted, work=EXCHANGE_WORK)
    # The b-matching counts seats, not minutes: two 30-minute requests it left out can take the
    # hour of one 60-minute request it kept. A smaller pass over all requests finds those.
    _exchange(search, order, city_of, fillers_from=order, work=EXCHANGE_WORK // 8, filler_depth=FILLER_DEPTH_ALL)
    _rebuild_hubs(search, city_of)
    _improve(search, order)
    return _result(prepared, search, int(relaxation))


def _result(prepared: Prepared, search: Search, count_bound: int) -> PlanResult:
    problem, clock, c = prepared.problem, prepared.clock, search.candidates
    scheduled = {}
    comfort = {}
    unscheduled: dict[object, NoTimeReason] = {}
    total = 0.0
    for index, request in enumerate(problem.requests):
        k = search.assignment[index]
        if k >= 0:
            scheduled[request.id] = clock.instant(c.start[k])
            comfort[request.id] = c.comfort[k]
            total += c.score[k]
    without_slots = []
    for index, request in enumerate(problem.requests):
        if search.assignment[index] < 0:
            # A request that had candidates of its own lost them to other sessions or caps.
            unscheduled[request.id] = NoTimeReason.ALL_TAKEN
            if c.offsets[index] == c.offsets[index + 1]:
                without_slots.append(request)
    for request, reason in zip(without_slots, reasons_without_slots(prepared, without_slots)):
        unscheduled[request.id] = reason
    return PlanResult(scheduled, unscheduled, comfort, total, count_bound)
