"""Planner benchmark: Tandem's planner vs a plain greedy vs OR-Tools CP-SAT, validated independently."""
