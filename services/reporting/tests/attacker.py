"""An attacker of reporting's small cells, written apart from the service's own protection.

Given what a role sees of a breakdown (say by sex and region) and of every breakdown of fewer
dimensions (by sex, by region, the total), it writes down what subtraction can use: each line of a
table sums to the matching cell of the table without that dimension, a shown cell is its number, a
cell not shown is 0, a hidden cell is any number from 0 up, a total shown as "<5" is 1 to 4. Then,
for each hidden cell, it solves two linear programmes (HiGHS, through scipy): the least and the
most the cell can be. A cell whose least equals its most has been worked out. (First, two ways
every hidden cell could be, far apart: a cell they give different numbers is not pinned, and needs
no programme of its own.)
"""

from itertools import combinations, product
from typing import Any

import numpy as np
from scipy.optimize import linprog

HIDDEN = "suppressed"

Answer = dict[str, Any]  # an indicator's answer from the API: total, numerator, denominator, breakdown


def _number(value: Any) -> float | None:
    return None if isinstance(value, str) else float(value)


def recovered(
    answers: dict[tuple[str, ...], Answer], by: tuple[str, ...], measure: str, among: set[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[float, float]]:
    """The hidden cells of the breakdown `by`, of those `among`, whose `measure` ("value", or a
    rate's "numerator" or "denominator") is pinned to one number, with the bounds found. `answers`
    holds the answer for `by` and for every subset of it (in `by`'s order), as the same role
    received them."""
    categories = [sorted({c[d] for a in answers.values() for c in a["breakdown"] if d in c}) for d in by]
    unknowns: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    bounds: list[tuple[float, float | None]] = []
    known: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = {}

    def cell(dims: tuple[str, ...], key: tuple[str, ...]) -> int | float:
        """A cell's variable index (an int) or its known value (a float)."""
        return unknowns[(dims, key)] if (dims, key) in unknowns else known.get((dims, key), 0.0)

    for size in range(len(by) + 1):
        for dims in combinations(by, size):
            answer = answers[dims]
            if not dims:
                total = answer["total"] if measure == "value" else answer[measure]
                if isinstance(total, str):
                    unknowns[(dims, ())] = len(bounds)
                    bounds.append((1.0, 4.0) if total == "<5" else (0.0, None))
                else:
                    known[(dims, ())] = float(total)
                continue
            for found in answer["breakdown"]:
                key = tuple(found[d] for d in dims)
                value = found[measure]
                if value == HIDDEN:
                    unknowns[(dims, key)] = len(bounds)
                    bounds.append((0.0, None))
                else:
                    known[(dims, key)] = float(value)

    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for size in range(1, len(by) + 1):
        for dims in combinations(by, size):
            positions = [by.index(d) for d in dims]
            for i, _ in enumerate(dims):
                margin = dims[:i] + dims[i + 1 :]
                lines: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
                for key in product(*(categories[p] for p in positions)):
                    lines.setdefault(key[:i] + key[i + 1 :], []).append(key)
                for margin_key, keys in lines.items():
                    row = np.zeros(len(bounds))
                    constant = 0.0
                    for part in [*((dims, k, 1.0) for k in keys), (margin, margin_key, -1.0)]:
                        found = cell(part[0], part[1])
                        if isinstance(found, int):
                            row[found] += part[2]
                        else:
                            constant += part[2] * found
                    if row.any():
                        rows.append(row)
                        rhs.append(-constant)
    pinned: dict[tuple[str, ...], tuple[float, float]] = {}
    if not bounds:
        return pinned
    equalities = np.array(rows) if rows else None
    targets = np.array(rhs) if rows else None
    solutions = _two_far_apart(equalities, targets, bounds)
    for (dims, key), index in unknowns.items():
        if dims != by or key not in among:
            continue
        if len(solutions) >= 2 and np.ptp([x[index] for x in solutions]) >= 0.5:
            continue  # two ways the answers allow give this cell different numbers: not pinned
        objective = np.zeros(len(bounds))
        objective[index] = 1.0
        least = linprog(objective, A_eq=equalities, b_eq=targets, bounds=bounds, method="highs")
        assert least.status == 0, f"the attacker's programme is infeasible: the answers contradict ({least.message})"
        most = linprog(-objective, A_eq=equalities, b_eq=targets, bounds=bounds, method="highs")
        solutions += [found.x for found in (least, most) if found.status == 0]  # more ways, for the next cells
        if most.status != 0:  # unbounded above: not pinned
            continue
        low, high = least.fun, -most.fun
        if high - low < 0.5:
            pinned[key] = (low, high)
    return pinned


def _two_far_apart(equalities: Any, targets: Any, bounds: list[tuple[float, float | None]]) -> list[np.ndarray]:
    """Two ways the hidden cells could be, as far apart as a random weighing of them finds: its
    least and its most, each cell capped at a million so that the most exists (a solution under a
    cap is a solution without it). A cell they give different numbers is not pinned."""
    weights = np.random.default_rng(0).uniform(1.0, 2.0, len(bounds))
    capped = [(low, 1e6 if high is None else high) for low, high in bounds]
    found = [linprog(sign * weights, A_eq=equalities, b_eq=targets, bounds=capped, method="highs") for sign in (1, -1)]
    return [solution.x for solution in found if solution.status == 0]
