"""Every AsyncAPI document, as committed in docs/asyncapi/ and as each service serves it at
/asyncapi.json, passes the AsyncAPI project's own validator (`asyncapi validate`, @asyncapi/cli,
installed by scripts/test.sh). Before, the 11 documents had 275 errors between them: the consumer
group sat in channel bindings (it belongs to operation bindings) and the combined document's
operations pointed at messages that a consumer's copy of a channel had replaced."""

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..security.test_control_characters import SERVICES, client

pytestmark = pytest.mark.parametrize("database_for", ["sqlite"], indirect=True)

REPO = Path(__file__).resolve().parents[2]
COMMITTED = sorted((REPO / "docs" / "asyncapi").glob("*.json"))


def cli() -> str:
    found = os.environ.get("W4L_ASYNCAPI_CLI") or shutil.which("asyncapi")
    if not found:
        if os.environ.get("W4L_TEST_REQUIRE_REAL"):
            pytest.fail("W4L_ASYNCAPI_CLI is not set: scripts/test.sh installs the AsyncAPI CLI")
        pytest.skip("needs the AsyncAPI CLI (scripts/test.sh installs it and sets W4L_ASYNCAPI_CLI)")
    return found


def validate(path: Path) -> tuple[int, str]:
    env = {**os.environ, "ASYNCAPI_METRICS": "false", "SUPPRESS_NO_CONFIG_WARNING": "true"}
    done = subprocess.run(
        [cli(), "validate", str(path), "--fail-severity", "error"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


def test_every_committed_and_served_asyncapi_document_is_valid(database_for, tmp_path):
    assert {p.stem for p in COMMITTED} == {*SERVICES, "work4life"}
    documents = list(COMMITTED)
    for service in SERVICES:
        served = client(service, database_for(service)).get("/asyncapi.json")
        assert served.status_code == 200
        documents.append(tmp_path / f"served-{service}.json")
        documents[-1].write_text(json.dumps(served.json()))
    cli()  # skips or fails clearly before any thread starts
    # The first run alone: the CLI makes its log folder inside its installation on first use, and
    # two first runs at once race for it (EEXIST).
    results = {documents[0]: validate(documents[0])}
    with ThreadPoolExecutor(max_workers=3) as pool:  # each run is a Node process of a few seconds
        results |= dict(zip(documents[1:], pool.map(validate, documents[1:]), strict=True))
    invalid = {p.name: output for p, (code, output) in results.items() if code != 0 or " error " in output}
    assert len(results) == 11 and invalid == {}, "\n\n".join(f"{name}:\n{out}" for name, out in invalid.items())
