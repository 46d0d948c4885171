"""The attacker of small cells (tests/attacker.py) on answers made by hand: it must work out a
hidden cell that subtraction gives away, and no cell that the answers leave open; else the test
that it pins down nothing the service hides would prove nothing."""

from ..attacker import HIDDEN, recovered


def cells(dimension: str, values: dict[str, object]) -> dict:
    return {"breakdown": [{dimension: key, "value": value} for key, value in values.items()]}


def test_a_cell_hidden_alone_is_worked_out_from_the_total():
    answers = {(): {"total": 10, "breakdown": []}, ("sex",): cells("sex", {"female": 7, "male": HIDDEN})}
    assert recovered(answers, ("sex",), "value", {("male",)}) == {("male",): (3.0, 3.0)}


def test_two_cells_hidden_together_are_not():
    answers = {
        (): {"total": 10, "breakdown": []},
        ("sex",): cells("sex", {"female": 4, "male": HIDDEN, "other": HIDDEN}),
    }
    assert recovered(answers, ("sex",), "value", {("male",), ("other",)}) == {}


def test_a_two_way_table_gives_away_a_cell_its_margins_pin():
    """Hidden in the table by sex and region, but the row and the column it sits in are shown, and
    the other cell of its row too: 4 is the only number it can be. The cells of the other row hide
    each other: each could be anything from 0 to 5."""
    table = {
        "breakdown": [
            {"sex": "female", "region": "oriental", "value": 6},
            {"sex": "female", "region": "souss", "value": HIDDEN},
            {"sex": "male", "region": "oriental", "value": HIDDEN},
            {"sex": "male", "region": "souss", "value": HIDDEN},
        ]
    }
    answers = {
        (): {"total": 15, "breakdown": []},
        ("sex",): cells("sex", {"female": 10, "male": 5}),
        ("region",): cells("region", {"oriental": HIDDEN, "souss": HIDDEN}),
        ("sex", "region"): table,
    }
    small = {("female", "souss"), ("male", "oriental"), ("male", "souss")}
    assert recovered(answers, ("sex", "region"), "value", small) == {("female", "souss"): (4.0, 4.0)}
