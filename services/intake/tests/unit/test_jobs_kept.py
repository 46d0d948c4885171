"""Imports and duplicate scans are kept in intake's database: every replica answers for them, a
restart loses nothing, and a job cut off by a restart says so and can be resumed (an import) or
run again (a scan)."""

import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from work4life.intake.adapters.orm import BackgroundJob, Beneficiary
from work4life.intake.service_layer.imports import ImportJob
from work4life.runtime import db
from work4life.runtime.testing import bearer

from ..conftest import ORG, started_intake
from .test_imports import CSV, import_file

MANAGER = bearer("programme_manager", ORG, "manager")
CLERK = bearer("caseworker", ORG, "clerk")
GOOD_ROWS = CSV.splitlines()[:3]  # the heading, Awa and Yao


@pytest.fixture
async def replicas(database_url):
    """Two intake processes' apps on one database."""
    async with started_intake(database_url) as (first, *_), started_intake(database_url) as (second, *_):
        yield first, second


def add_job(url: str, **fields) -> None:
    """A job row as a process left it when it was killed: `running`, its heartbeat an hour old."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            row = {
                "organisation": "*",
                "started_by": "clerk",
                "status": "running",
                "started_at": datetime.now(UTC),
                "heartbeat_at": time.time() - 3600,
                **fields,
            }
            session.add(BackgroundJob(**row))
            session.commit()
    finally:
        engine.dispose()


async def test_an_import_is_answered_by_every_replica(replicas):
    first, second = replicas
    job = await import_file(first, "partners.csv", CSV.encode())
    seen = (await second.get(f"/v1/imports/{job['job_id']}")).json()
    assert seen == job and seen["status"] == "finished" and seen["imported"] == 2
    report = await second.get(f"/v1/imports/{job['job_id']}/errors.csv")
    assert report.status_code == 200 and len(report.text.splitlines()) == len(job["errors"]) + 1
    other = await second.get(f"/v1/imports/{job['job_id']}", headers=bearer("caseworker", "oujda-solidarite"))
    assert other.status_code == 404  # still another organisation's job


async def test_an_import_cut_off_says_so_and_resumes_from_the_row_where_it_stopped(replicas, database_url):
    first, second = replicas
    content = ("\n".join(GOOD_ROWS) + "\n").encode()
    # Cut off after its first row (Awa, counted as imported): the resumed job goes on with Yao.
    stopped = ImportJob(job_id="cut-off", filename="partners.csv", rows_total=2, rows_done=1, imported=1)
    add_job(database_url, job_id="cut-off", kind="import", report=stopped.summary(), upload=content)

    seen = (await second.get("/v1/imports/cut-off")).json()
    assert seen["status"] == "interrupted" and seen["rows_done"] == 1
    resumed = await first.post("/v1/imports/cut-off/resume")
    assert resumed.status_code == 202, resumed.text
    assert (await second.post("/v1/imports/cut-off/resume")).status_code == 409  # taken over already
    for _ in range(500):
        job = (await second.get("/v1/imports/cut-off")).json()
        if job["status"] != "running":
            break
        time.sleep(0.01)
    assert job["status"] == "finished" and (job["rows_done"], job["imported"]) == (2, 2)
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        names = session.exec(select(Beneficiary.given_name)).all()
        kept = session.exec(select(BackgroundJob).where(BackgroundJob.job_id == "cut-off")).one()
    engine.dispose()
    assert names == ["Yao"], "the rows before the cut are not imported again"
    assert kept.upload is None, "the file is not kept once the import is over"
    again = await first.post("/v1/imports/cut-off/resume")
    assert again.status_code == 409 and "finished" in again.json()["detail"]


async def test_a_scan_cut_off_says_so_and_does_not_block_a_new_one(replicas, database_url):
    first, second = replicas
    add_job(database_url, job_id="old-scan", kind="duplicate_scan", report={"job_id": "old-scan", "status": "running"})
    seen = await second.get("/v1/duplicates/scans/old-scan", headers=MANAGER)
    assert seen.status_code == 200 and seen.json()["status"] == "interrupted"

    started = await first.post("/v1/duplicates/scans", headers=MANAGER)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    for _ in range(500):
        job = (await second.get(f"/v1/duplicates/scans/{job_id}", headers=MANAGER)).json()
        if job["status"] != "running":
            break
        time.sleep(0.01)
    assert job["status"] == "finished" and job["result"] is not None

    add_job(
        database_url,
        job_id="live-scan",
        kind="duplicate_scan",
        report={"job_id": "live-scan", "status": "running"},
        heartbeat_at=time.time(),
    )
    refused = await second.post("/v1/duplicates/scans", headers=MANAGER)
    assert refused.status_code == 409 and "already running" in refused.json()["detail"]
