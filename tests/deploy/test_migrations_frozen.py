"""A migration is history: it must build the same schema and data whatever the service's code
becomes later, so no migration imports the service's (or anyone's) live code. Before, intake's
0007 computed fingerprints with the domain's current function."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_no_migration_imports_live_code():
    versions = sorted(REPO.glob("services/*/src/work4life/*/migrations/versions/*.py"))
    assert len(versions) >= 15, "the migrations were found"
    live = []
    for path in versions:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            live += [f"{path.relative_to(REPO)}: {name}" for name in names if name.startswith("work4life")]
    assert live == []
