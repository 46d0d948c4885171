"""The compatibility check accepts compatible changes and rejects breaking ones."""

import copy
import json
import shutil
from pathlib import Path

import pytest

from work4life.contract_tools import cli, schemas
from work4life.contract_tools.compatibility import compare

REPO_SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"
REGISTERED = "intake.beneficiary_registered.v1.json"


@pytest.fixture
def committed() -> dict:
    return json.loads((REPO_SCHEMAS / REGISTERED).read_text())


def committed_copy(tmp_path: Path) -> Path:
    for path in REPO_SCHEMAS.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def payload(schema: dict) -> dict:
    return schema["$defs"]["BeneficiaryRegistered"]


def test_the_committed_schemas_are_compatible_and_up_to_date():
    problems, _ = cli.check(REPO_SCHEMAS)
    assert problems == []


def test_identical_schemas_are_compatible(committed):
    report = compare(committed, copy.deepcopy(committed))
    assert report.breaking == [] and report.warnings == []


def test_a_removed_field_is_breaking(committed):
    new = copy.deepcopy(committed)
    del payload(new)["properties"]["city"]
    payload(new)["required"].remove("city")
    assert compare(committed, new).breaking == ["data.city: field removed or renamed"]


def test_a_renamed_field_is_breaking(committed):
    new = copy.deepcopy(committed)
    props = payload(new)["properties"]
    props["town"] = props.pop("city")
    payload(new)["required"] = ["town" if r == "city" else r for r in payload(new)["required"]]
    breaking = compare(committed, new).breaking
    assert "data.city: field removed or renamed" in breaking
    assert any(line.startswith("data.town: new required field") for line in breaking)


def test_a_changed_type_is_breaking(committed):
    new = copy.deepcopy(committed)
    payload(new)["properties"]["birth_year"] = {"type": "string"}
    assert compare(committed, new).breaking == ["data.birth_year: type changed from integer to string"]


def test_a_field_that_may_now_be_null_is_breaking(committed):
    new = copy.deepcopy(committed)
    payload(new)["properties"]["city"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert compare(committed, new).breaking == ["data.city: type changed from string to null | string"]


def test_a_new_required_field_is_breaking(committed):
    new = copy.deepcopy(committed)
    payload(new)["properties"]["years_in_morocco"] = {"type": "integer"}
    payload(new)["required"].append("years_in_morocco")
    assert len(compare(committed, new).breaking) == 1
    assert "data.years_in_morocco: new required field" in compare(committed, new).breaking[0]


def test_a_new_optional_field_is_compatible(committed):
    new = copy.deepcopy(committed)
    payload(new)["properties"]["years_in_morocco"] = {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}
    assert compare(committed, new).breaking == []


def test_a_removed_enum_value_is_breaking_and_an_added_one_is_a_warning(committed):
    new = copy.deepcopy(committed)
    sex = new["$defs"]["Sex"]
    sex["enum"] = ["female", "male", "other"]
    report = compare(committed, new)
    assert report.breaking == ["data.sex: allowed values removed: undisclosed"]
    assert len(report.warnings) == 1 and "other" in report.warnings[0]


def test_the_command_fails_on_a_breaking_change_to_a_committed_v1_schema(tmp_path, committed, capsys):
    # Pretend the published v1 had a field that the current model no longer has.
    old = copy.deepcopy(committed)
    payload(old)["properties"]["occupation_code"] = {"type": "string"}
    payload(old)["required"].append("occupation_code")
    committed_copy(tmp_path)
    (tmp_path / REGISTERED).write_text(json.dumps(old))
    assert cli.main(["check", "--schemas-dir", str(tmp_path)]) == 1
    assert "data.occupation_code: field removed or renamed (breaking)" in capsys.readouterr().out


def test_the_command_fails_when_a_published_version_disappears(tmp_path):
    committed_copy(tmp_path)
    (tmp_path / "intake.beneficiary_registered.v0.json").write_text((REPO_SCHEMAS / REGISTERED).read_text())
    problems, _ = cli.check(tmp_path)
    assert problems == [
        "intake.beneficiary_registered.v0.json: a published event version is gone from the contracts (breaking)"
    ]


def test_generate_writes_a_schema_per_event_version(tmp_path):
    written = schemas.write(tmp_path)
    assert written == sorted(p.name for p in REPO_SCHEMAS.glob("*.json"))
    assert REGISTERED in written
    assert cli.main(["check", "--schemas-dir", str(tmp_path)]) == 0
