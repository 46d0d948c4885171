"""The benchmark suite keeps working: its small version runs against the real broker and
PostgreSQL and prints its table. Its figures are printed for whoever reads the log, never
asserted (a slow CI machine is not a failure); what is asserted is that every part ran and
produced a figure, and that the platform did its job on the way (every pre-loaded event applied,
every registration accepted: the suite raises otherwise)."""

import re
import subprocess
import sys

import pytest

from ..conftest import REPO

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(1200)
def test_the_small_benchmark_measures_every_item_and_prints_its_table(
    kafka_bootstrap, postgres_server_url, tmp_path, capsys
):
    table = tmp_path / "figures.md"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--size",
            "small",
            "--kafka",
            kafka_bootstrap,
            "--postgres-url",
            postgres_server_url,
            "--output",
            str(table),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    with capsys.disabled():
        print("\n" + completed.stdout)
    assert completed.returncode == 0, completed.stderr[-4000:]
    rows = [line for line in table.read_text().splitlines() if re.match(r"\| \d \|", line)]
    items = {row.split("|")[1].strip() for row in rows}
    assert items == {"1", "2", "3", "4", "5", "6", "7"}
    for database in ("sqlite", "postgresql"):
        assert any(f"projection of 2,000 events, {database}" in row for row in rows)
        assert any(f"rebuild (python -m work4life.reporting rebuild), {database}" in row for row in rows)
        assert any(f"with the outbox, {database}" in row for row in rows)
        assert any(
            f"projection with the roll-ups against without them, {database}, mean of three runs" in row for row in rows
        )
        assert any(
            f"projection with the roll-ups against without them, by reporting's CPU time (events per CPU second), "
            f"{database}, mean of three runs" in row
            for row in rows
        )
    assert any("projection by two consumer processes in one group, postgresql" in row for row in rows)
    assert any("rebuild by two processes, postgresql" in row for row in rows)
    assert any("the table from the roll-ups" in row for row in rows)
    assert any("building the roll-ups from every fact" in row for row in rows)
    values = [row.split("|")[3].strip() for row in rows]
    assert all(re.match(r"[\d,.]+ ", value) for value in values), values


@pytest.mark.timeout(600)
def test_the_web_pages_benchmark_prints_pages_beside_their_api_calls(kafka_bootstrap, capsys):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.web_pages",
            "--people",
            "200",
            "--requests",
            "15",
            "--kafka",
            kafka_bootstrap,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=500,
    )
    with capsys.disabled():
        print("\n" + completed.stdout)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "intake holds 200 people" in completed.stdout
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ") and "ms" not in line]
    assert len(rows) == 5 and all(re.search(r"\| [\d.]+ \| [\d.]+ \|$", row) for row in rows), rows


@pytest.mark.timeout(300)
@pytest.mark.parametrize("order", ["generated", "polled"])
def test_the_rollup_cost_benchmark_splits_the_hook_into_rows_reads_and_python(order, request, capsys):
    """In the order generated, and (`--kafka`) in the polls a consumer reads them in from the real
    broker: every event applied either way (the count printed is the events generated)."""
    script = REPO / "services" / "reporting" / "benchmarks" / "rollup_cost.py"
    kafka = ["--kafka", request.getfixturevalue("kafka_bootstrap")] if order == "polled" else []
    completed = subprocess.run(
        [sys.executable, str(script), "--people", "200", "--commit-every", "300", *kafka],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
    )
    with capsys.disabled():
        print("\n" + completed.stdout)
    assert completed.returncode == 0, completed.stderr[-4000:]
    told = (
        r"in the \d+ polls of up to 300 a consumer read them in from Kafka"
        if kafka
        else r"in the order generated, commits of 300"
    )
    assert re.search(r"[\d,]+ events of 200 people into sqlite, " + told, completed.stdout)
    assert re.search(r"with the roll-ups [\d,]+ /s, without [\d,]+ /s: ratio [\d.]+", completed.stdout)
    assert re.search(r"beyond the hook and the run without them: -?[\d,]+ ms a run", completed.stdout)
    assert re.search(r"writes to person_month: [\d,]+ ms, [\d,]+ rows", completed.stdout)
    assert re.search(r"the rest \(Python, SQLAlchemy\): -?[\d,]+ ms", completed.stdout)
    assert re.search(r"if the hook only wrote its rows, the ratio would be [\d.]+", completed.stdout)
    assert re.search(
        r"if it only ran the statements that write the roll-up tables' own rows .*, [\d,]+ ms: [\d.]+", completed.stdout
    )
