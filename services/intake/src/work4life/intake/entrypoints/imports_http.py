"""HTTP routes for bulk imports of registration spreadsheets."""

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, UploadFile, status
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from work4life.runtime.auth import Principal, require

from ..service_layer import handlers
from ..service_layer.imports import ImportJob, run_import
from .http import STAFF

MAX_BYTES = 20 * 1024 * 1024


def build_router(
    session_factory: Callable[[], Session], context: handlers.Context, after_commit: Callable[[], None]
) -> APIRouter:
    router = APIRouter(prefix="/v1/imports", tags=["imports"])
    Staff = Annotated[Principal, Depends(require(*STAFF))]
    jobs: dict[str, tuple[ImportJob, str]] = {}

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
    async def start(file: UploadFile, background: BackgroundTasks, who: Staff) -> dict[str, Any]:
        name = file.filename or ""
        if not name.lower().endswith((".csv", ".xlsx")):
            raise HTTPException(415, detail=f"{name or 'the file'}: only .csv and .xlsx files can be imported")
        content = await file.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise HTTPException(413, detail="the file is larger than 20 MB: split it")
        job = ImportJob(job_id=uuid.uuid4().hex, filename=name)
        jobs[job.job_id] = (job, who.organisation if not who.sees_every_organisation else "*")
        background.add_task(run_import, job, content, session_factory, context, who, after_commit)
        return job.summary()

    def visible_job(job_id: str, who: Principal) -> ImportJob:
        found = jobs.get(job_id)
        if found is None or (found[1] != "*" and found[1] != who.organisation and not who.sees_every_organisation):
            raise HTTPException(404, detail=f"no import {job_id}")
        return found[0]

    @router.get("/{job_id}", summary="Progress and report of an import")
    def progress(job_id: str, who: Staff) -> dict[str, Any]:
        return visible_job(job_id, who).summary()

    @router.get("/{job_id}/errors.csv", response_class=PlainTextResponse, summary="The refused rows, as CSV")
    def errors(job_id: str, who: Staff) -> PlainTextResponse:
        job = visible_job(job_id, who)
        return PlainTextResponse(
            job.errors_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{job.filename}.errors.csv"'},
        )

    return router
