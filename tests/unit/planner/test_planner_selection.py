"""The selection: maximum flow and the b-matching relaxation, checked against brute force."""

from __future__ import annotations

from itertools import combinations, product

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.planner.selection import fractional_b_matching, max_flow


def _min_cut(node_count: int, source: int, sink: int, arcs: list[tuple[int, int, int]]) -> int:
    """The smallest capacity of arcs leaving a node set that holds the source and not the sink."""
    others = [n for n in range(node_count) if n not in (source, sink)]
    best = None
    for chosen in product((False, True), repeat=len(others)):
        side = {source} | {n for n, inside in zip(others, chosen) if inside}
        cut = sum(capacity for tail, head, capacity in arcs if tail in side and head not in side)
        best = cut if best is None else min(best, cut)
    return best or 0


@st.composite
def networks(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, int]]]:
    node_count = draw(st.integers(2, 7))
    pairs = [(a, b) for a in range(node_count) for b in range(node_count) if a != b]
    arcs = draw(st.lists(st.tuples(st.sampled_from(pairs), st.integers(0, 4)), max_size=14))
    return node_count, [(tail, head, capacity) for (tail, head), capacity in arcs]


@settings(max_examples=150, deadline=None)
@given(networks())
def test_maximum_flow_equals_the_minimum_cut(network: tuple[int, list[tuple[int, int, int]]]) -> None:
    node_count, arcs = network
    value, flows = max_flow(node_count, 0, node_count - 1, arcs)
    assert value == _min_cut(node_count, 0, node_count - 1, arcs)
    assert all(0 <= flow <= capacity for flow, (_, _, capacity) in zip(flows, arcs))
    for node in range(1, node_count - 1):  # conservation
        inflow = sum(f for f, (_, head, _) in zip(flows, arcs) if head == node)
        outflow = sum(f for f, (tail, _, _) in zip(flows, arcs) if tail == node)
        assert inflow == outflow


def _best_b_matching(capacity: list[int], edges: list[tuple[int, int]]) -> int:
    for size in range(len(edges), 0, -1):
        for chosen in combinations(edges, size):
            load = [0] * len(capacity)
            for u, v in chosen:
                load[u] += 1
                load[v] += 1
            if all(used <= cap for used, cap in zip(load, capacity)):
                return size
    return 0


@st.composite
def city_graphs(draw: st.DrawFn) -> tuple[list[int], list[tuple[int, int]]]:
    city_count = draw(st.integers(2, 6))
    capacity = draw(st.lists(st.integers(0, 3), min_size=city_count, max_size=city_count))
    pairs = [(a, b) for a in range(city_count) for b in range(a + 1, city_count)]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=9))
    return capacity, edges


@settings(max_examples=150, deadline=None)
@given(city_graphs())
def test_the_relaxation_bounds_the_best_b_matching_and_keeps_every_city_within_its_seats(
    graph: tuple[list[int], list[tuple[int, int]]],
) -> None:
    capacity, edges = graph
    x, value = fractional_b_matching(len(capacity), capacity, edges)
    best = _best_b_matching(capacity, edges)
    assert best <= value <= best + len(capacity) / 2  # off by at most half a seat per city
    assert value == sum(x)
    assert set(x) <= {0.0, 0.5, 1.0}
    for city_index, cap in enumerate(capacity):
        assert sum(share for share, edge in zip(x, edges) if city_index in edge) <= cap
    bipartite = all((u % 2) != (v % 2) for u, v in edges)
    if bipartite:  # the b-matching polytope of a bipartite graph is integral
        assert value == best


def test_the_worked_examples_of_the_docstring() -> None:
    a, b, c, d = range(4)
    x, value = fractional_b_matching(3, [1, 1, 1], [(a, b), (b, c), (c, a)])
    assert (x, value) == ([0.5, 0.5, 0.5], 1.5)
    x, value = fractional_b_matching(4, [1, 1, 1, 1], [(a, b), (b, c), (c, a), (a, d)])
    assert (x, value) == ([0.0, 1.0, 0.0, 1.0], 2.0)


def test_requests_without_a_slot_are_left_out() -> None:
    x, value = fractional_b_matching(2, [1, 1], [None, (0, 1)])
    assert (x, value) == ([0.0, 1.0], 1.0)
