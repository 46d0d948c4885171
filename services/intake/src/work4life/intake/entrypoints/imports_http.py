"""HTTP routes for bulk imports of registration spreadsheets."""

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, UploadFile, status
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from work4life.runtime.api import SessionDep, Sessions, Staff
from work4life.runtime.auth import Principal
from work4life.runtime.errors import Conflict

from ..adapters.orm import BackgroundJob
from ..service_layer import jobs
from ..service_layer.imports import ImportJob, run_import
from . import ContextDep

MAX_BYTES = 20 * 1024 * 1024


router = APIRouter(prefix="/v1/imports", tags=["imports"])
KIND = "import"


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Import a spreadsheet of registrations (.csv or .xlsx); follow the job with GET",
    description="Columns: the registration fields (or their French headings: prénom, nom, sexe, date de naissance, "
    "nationalité, statut, région, ville, téléphone, ...), plus consent_service_delivery and consent_statistics "
    "(yes/no). Rows already registered (same names, birth date, nationality and partner) are skipped, so a "
    "file can be imported again safely. Every other row is imported or reported with its row number.",
    responses={413: {"description": "File larger than 20 MB"}, 415: {"description": "Not .csv or .xlsx"}},
)
async def start(
    session_factory: Sessions, context: ContextDep, file: UploadFile, background: BackgroundTasks, who: Staff
) -> dict[str, Any]:
    name = file.filename or ""
    if not name.lower().endswith((".csv", ".xlsx")):
        raise HTTPException(415, detail=f"{name or 'the file'}: only .csv and .xlsx files can be imported")
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise HTTPException(413, detail="the file is larger than 20 MB: split it")
    job = ImportJob(job_id=uuid.uuid4().hex, filename=name)
    owner = "*" if who.sees_every_organisation else who.organisation
    jobs.create(session_factory, job.job_id, KIND, owner, who.subject, job.summary(), upload=content)
    checkpoint = jobs.Checkpoint(session_factory, job.job_id)
    background.add_task(run_import, job, content, session_factory, context, who, checkpoint)
    return job.summary()


def visible_job(db: Session, job_id: str, who: Principal) -> BackgroundJob:
    found = jobs.get(db, job_id, KIND)
    if found is None or (found.organisation not in ("*", who.organisation) and not who.sees_every_organisation):
        raise HTTPException(404, detail=f"no import {job_id}")
    return found


def report(row: BackgroundJob) -> dict[str, Any]:
    return {**row.report, "status": jobs.effective_status(row)}


@router.get(
    "/{job_id}",
    summary="Progress and report of an import",
    description="`status` is running, finished, failed, or interrupted: the process running it stopped "
    "(a restart); resume it with POST .../resume.",
)
def progress(job_id: str, db: SessionDep, who: Staff) -> dict[str, Any]:
    return report(visible_job(db, job_id, who))


@router.post(
    "/{job_id}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Go on with an interrupted import from the row where it stopped",
    responses={409: {"description": "The import is not interrupted (running, finished or failed)"}},
)
def resume(
    session_factory: Sessions,
    context: ContextDep,
    job_id: str,
    background: BackgroundTasks,
    db: SessionDep,
    who: Staff,
) -> dict[str, Any]:
    row = visible_job(db, job_id, who)
    state = jobs.effective_status(row)
    if state != "interrupted" or row.upload is None or not jobs.claim(session_factory, job_id):
        raise Conflict(
            f"this import is {state}: only an interrupted import can be resumed",
            code="import_not_interrupted",
            values={"job_status": state},
        )
    job = ImportJob.from_summary({**row.report, "status": "running"})
    checkpoint = jobs.Checkpoint(session_factory, job_id)
    background.add_task(run_import, job, row.upload, session_factory, context, who, checkpoint)
    return job.summary()


@router.get("/{job_id}/errors.csv", response_class=PlainTextResponse, summary="The refused rows, as CSV")
def errors(job_id: str, db: SessionDep, who: Staff) -> PlainTextResponse:
    job = ImportJob.from_summary(visible_job(db, job_id, who).report)
    return PlainTextResponse(
        job.errors_csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{job.filename}.errors.csv"'},
    )
