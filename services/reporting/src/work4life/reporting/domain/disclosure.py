"""Small cells that stay hidden: primary and complementary suppression of additive tables.

Below programme manager nobody sees a count from 1 to 4 (a "small cell": in a programme of 15,000
people, three Syrian women in one region can be recognised). Hiding the small cell alone is not
enough: a table's total and the other cells of its row give it back by subtraction, and so do the
tables of fewer dimensions anyone can ask for (by sex, then by sex and region). So:

1. **Primary suppression**: every cell whose count is 1 to 4 is hidden (for a rate: its count or
   its denominator is below 5).
2. **Complementary suppression** by hypercubes (the method of tau-ARGUS): each small cell is made
   a corner of a hypercube of hidden cells, one other category per dimension (a rectangle in a
   table of two). Adding a number to the corners of one parity and taking it from the others
   changes no margin, so when all corners of the small cell's parity, or all of the other, are
   above 0, another table fits every figure shown just as well, with another value in the small
   cell: nothing shown, by subtraction or any linear reasoning, pins it down. Of the cubes that
   work, the one that hides least is taken (zeros cost nothing: a hidden zero serves as well).
3. **Margins first.** A table is protected after the tables of fewer dimensions (its margins),
   each exactly as it is answered on its own, so that every answer is the same whichever breakdown
   asked for it and no pair of answers undoes the other. A table of mostly small cells, or one
   whose small cell has no cube, is hidden whole.

All hidden cells look the same in an answer (`HIDDEN`), so that nobody can tell a small cell from
one hidden to protect it. The tables are additive: each person (or fact) falls in exactly one cell,
so a table of fewer dimensions is the sum of a table of more, and the margins are computed here
from the cells rather than asked of the database again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations, product

SMALL_CELL = 5
HIDDEN = "suppressed"
"""How a hidden cell (or rate, or a numerator or denominator of one) is shown."""

Key = tuple[str, ...]
Measures = tuple[int, ...]
"""One or more additive counts of a cell: a head count, or a rate's (numerator, denominator)."""


def small_count(measures: Measures) -> bool:
    return 0 < measures[0] < SMALL_CELL


def small_rate(measures: Measures) -> bool:
    """A rate is hidden when its count or its denominator is below 5 (a rate with nothing to
    measure, denominator 0, discloses nothing)."""
    numerator, denominator = measures
    return denominator > 0 and (numerator < SMALL_CELL or denominator < SMALL_CELL)


@dataclass
class Protected:
    """Which cells of each table of the lattice are hidden, by the tables' dimension positions."""

    hidden: dict[tuple[int, ...], set[Key]] = field(default_factory=dict)

    def of(self, positions: tuple[int, ...]) -> set[Key]:
        return self.hidden[positions]


def protect(cells: dict[Key, Measures], dimensions: int, primary: Callable[[Measures], bool]) -> Protected:
    """The hidden cells of a table of `dimensions` dimensions (`cells` by key, absent cells are 0)
    and of every table of fewer dimensions it sums to; `()` is the total."""
    return _Lattice(cells, dimensions, primary).protected()


class _Lattice:
    def __init__(self, cells: dict[Key, Measures], dimensions: int, primary: Callable[[Measures], bool]) -> None:
        self.primary = primary
        self.width = len(next(iter(cells.values()))) if cells else 1
        self.categories = [sorted({key[d] for key in cells}) for d in range(dimensions)]
        self.tables: dict[tuple[int, ...], dict[Key, Measures]] = {}
        for size in range(dimensions + 1):
            for positions in combinations(range(dimensions), size):
                table: dict[Key, list[int]] = {}
                for key, measures in cells.items():
                    summed = table.setdefault(tuple(key[p] for p in positions), [0] * self.width)
                    for m, value in enumerate(measures):
                        summed[m] += value
                self.tables[positions] = {k: tuple(v) for k, v in table.items()}
        self.result = Protected()

    def value(self, positions: tuple[int, ...], key: Key) -> Measures:
        return self.tables[positions].get(key, (0,) * self.width)

    def grid(self, positions: tuple[int, ...]) -> list[Key]:
        return [tuple(k) for k in product(*(self.categories[p] for p in positions))]

    def protected(self) -> Protected:
        for size in range(len(self.categories) + 1):
            for positions in combinations(range(len(self.categories)), size):
                self.result.hidden[positions] = self._protect(positions)
        return self.result

    def _protect(self, positions: tuple[int, ...]) -> set[Key]:
        grid = self.grid(positions)
        small = [key for key in grid if self.primary(self.value(positions, key))]
        if not positions:
            return set(small)
        single = next((i for i, p in enumerate(positions) if len(self.categories[p]) == 1), None)
        if single is not None:
            # One category on a dimension: the table is its margin without it, hidden as it is.
            margin = self.result.of(positions[:single] + positions[single + 1 :])
            return {key for key in grid if key[:single] + key[single + 1 :] in margin}
        if 2 * len(small) > len(self.tables[positions]):
            return set(grid)  # mostly small cells: the breakdown says nothing safely, hide it whole
        hidden = set(small)
        for key in sorted(small, key=lambda k: (-self.value(positions, k)[0], k)):
            cube = self._cheapest_cube(positions, key, hidden)
            if cube is None:
                return set(grid)  # no cell to pair it with: hide the breakdown whole
            hidden.update(cube)
        return hidden

    def _cheapest_cube(self, positions: tuple[int, ...], key: Key, hidden: set[Key]) -> list[Key] | None:
        """The corners of the hypercube through `key` that hides least: for each dimension one other
        category, so that adding a number to the corners of one parity and taking it from the others
        keeps every margin. Some such change must keep every corner at 0 or more, so that the small
        cell can take another value under the same margins: all corners of its parity, or all of the
        other parity, are above 0. The cost is what the corners not yet hidden add up to."""
        others = [[c for c in self.categories[p] if c != key[i]] for i, p in enumerate(positions)]
        best: tuple[tuple[int, int], list[Key]] | None = None
        for choice in product(*others):
            corners: list[tuple[Key, int]] = []
            for flips in product((False, True), repeat=len(positions)):
                corner = tuple(choice[i] if flip else key[i] for i, flip in enumerate(flips))
                corners.append((corner, sum(flips) % 2))
            if not all(
                min(self.value(positions, c)[m] for c, parity in corners if parity == 0) > 0
                or min(self.value(positions, c)[m] for c, parity in corners if parity == 1) > 0
                for m in range(self.width)
            ):
                continue  # no change keeps every corner at 0 or more: the cell would be pinned
            new = [c for c, _ in corners if c not in hidden]
            cost = (sum(sum(self.value(positions, c)) for c in new), len(new))
            if best is None or cost < best[0]:
                best = (cost, [c for c, _ in corners])
        return best[1] if best else None
