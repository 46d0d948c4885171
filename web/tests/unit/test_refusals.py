"""The services' refusals (409) said in the person's language: every code a service raises has a
text here, and the values are shown with their labels, days and amounts written the local way."""

import ast
from pathlib import Path

from babel.support import Translations

from work4life.web.i18n import load_translations
from work4life.web.refusals import REFUSALS, UNMET, refusal_text

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("libs/*/src/**/*.py")]


def _constants(node: ast.AST) -> list[str]:
    """The codes a `code=` argument can take: a string, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    raise AssertionError(f"a refusal's code must be written out, not computed: {ast.unparse(node)}")


def raised_codes() -> tuple[set[str], set[str], list[str]]:
    """The codes of every Conflict (and subclass) the services and libraries raise, the codes of
    training's unmet completion conditions, and the refusals raised without a code."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in SOURCES}
    classes = {node.name: node for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    conflicts = {"Conflict"}
    grew = True
    while grew:  # the subclasses of Conflict, of any depth
        before = len(conflicts)
        conflicts |= {
            name
            for name, node in classes.items()
            if any(isinstance(b, ast.Name) and b.id in conflicts for b in node.bases)
        }
        grew = len(conflicts) > before
    # A subclass with its own __init__ gives the code itself (training's NotComplete).
    own_code = {
        name
        for name in conflicts - {"Conflict"}
        if any(isinstance(n, ast.FunctionDef) and n.name == "__init__" for n in classes[name].body)
    }
    codes: set[str] = set()
    unmet: set[str] = set()
    without: list[str] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            given = [k.value for k in node.keywords if k.arg == "code"]
            if name == "Unmet":
                unmet.update(_constants(node.args[2]))
            elif name in conflicts or (name == "__init__" and given):
                if given:
                    codes.update(_constants(given[0]))
                elif name not in own_code:
                    without.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return codes, unmet, without


def test_every_refusal_a_service_raises_has_a_text_and_every_text_a_refusal():
    codes, unmet, without = raised_codes()
    assert len(codes) > 50, "the scan found the services' refusals"
    assert without == [], "refusals raised without a code"
    assert codes - set(REFUSALS) == set(), "codes with no text in the app"
    assert set(REFUSALS) - codes == set(), "texts for codes no service raises"
    assert unmet == set(UNMET)


def _french() -> tuple[Translations, Translations]:
    found = load_translations()
    return found["fr"], found["ar"]


def say(translations: Translations, body: dict, language: str) -> str | None:
    return refusal_text(body, translations.gettext, language)


def test_a_refusal_names_stages_days_and_amounts_in_french_and_arabic():
    fr, ar = _french()
    move = {
        "detail": "a venture cannot go from application to launched: ...",
        "code": "stage_not_allowed",
        "values": {"stage": "application", "new_stage": "launched", "allowed": ["pre_incubation", "rejected"]},
    }
    said = say(fr, move, "fr")
    assert said is not None and "« Candidature » à « Lancé »" in said, said
    assert "Pré-incubation et Rejeté" in said, said
    said_ar = say(ar, move, "ar")
    assert said_ar is not None and "لا يمكن للمشروع الانتقال" in said_ar and "application" not in said_ar

    paid = {
        "detail": "...",
        "code": "beyond_tranche",
        "values": {"amount": "30000.00", "tranche": 1, "left": "25000.00", "tranche_amount": "25000.00"},
    }
    assert say(fr, paid, "fr") == (
        "30\u202f000,00\u00a0MAD dépasse ce qui a été approuvé : il reste 25\u202f000,00\u00a0MAD sur les "
        "25\u202f000,00\u00a0MAD de la tranche 1."
    )
    closed = {"detail": "...", "code": "fair_closed", "values": {"closed_on": "2026-11-03"}}
    assert say(fr, closed, "fr") == "Le forum a été clôturé le 3 nov. 2026."

    rule = {
        "detail": "...",
        "code": "completion_rule_unmet",
        "values": {},
        "errors": [
            {
                "field": "attendance",
                "code": "attendance_below_rule",
                "values": {"attended": 3, "sessions": 5, "percent": 60, "required": 80},
                "reason": "attended 3 of 5 sessions (60%), below the 80% the course requires",
            },
            {"field": "final_assessment", "code": "no_final_assessment", "values": {}, "reason": "..."},
        ],
    }
    said = say(fr, rule, "fr")
    assert said is not None and "présent à 3 séances sur 5 (60\u00a0%), sous les 80\u00a0%" in said, said
    assert said.endswith("aucune évaluation finale enregistrée")


def test_an_unknown_code_or_values_fall_back_to_the_services_words():
    fr, _ = _french()
    assert say(fr, {"detail": "something new", "code": "a_rule_from_a_newer_service", "values": {}}, "fr") is None
    assert say(fr, {"detail": "no code at all"}, "fr") is None
    assert say(fr, {"detail": "x", "code": "fair_closed", "values": {}}, "fr") is None, "a value is missing"
