"""HTTP routes for duplicate registrations: candidates, the review queue, scans, merge and dismissal."""

import threading
import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, status
from pydantic import BaseModel

from work4life.runtime.api import Manager, Page, SessionDep, Sessions, Staff
from work4life.runtime.errors import Conflict

from ..adapters.orm import Beneficiary, CandidateStatus, DuplicateCandidate
from ..service_layer import audit, duplicates, handlers, jobs
from . import WorkDep
from .http import BeneficiaryPublic, visible


class DuplicateHint(BaseModel):
    """A registration that may be the same person. Names are not repeated here: open the record
    (if your organisation may see it) to compare."""

    beneficiary_id: UUID
    partner_organisation: str
    score: float
    reasons: list[str]


class CandidatePublic(BaseModel):
    candidate_id: UUID
    newer: UUID
    older: UUID
    score: float
    reasons: list[str]
    status: CandidateStatus
    found_by: str
    resolved_by: str | None


CandidatePage = Page[CandidatePublic]


class MergeRequest(BaseModel):
    keep: UUID


class ScanJob(BaseModel):
    job_id: str
    status: str
    people_done: int = 0
    people_total: int = 0
    result: dict[str, int] | None = None
    error: str | None = None


def candidate_out(candidate: DuplicateCandidate, newer: Beneficiary, older: Beneficiary) -> CandidatePublic:
    return CandidatePublic(
        candidate_id=candidate.candidate_id,
        newer=newer.beneficiary_id,
        older=older.beneficiary_id,
        score=candidate.score,
        reasons=candidate.reasons,
        status=candidate.status,
        found_by=candidate.found_by,
        resolved_by=candidate.resolved_by,
    )


def hint(other: Beneficiary, match: Any) -> DuplicateHint:
    return DuplicateHint(
        beneficiary_id=other.beneficiary_id,
        partner_organisation=other.partner_organisation,
        score=match.score,
        reasons=match.reasons,
    )


router = APIRouter(prefix="/v1", tags=["duplicates"])
lock = threading.Lock()
KIND = "duplicate_scan"


@router.get(
    "/beneficiaries/{beneficiary_id}/duplicates",
    response_model=list[DuplicateHint],
    summary="Registrations that may be this same person, best first, with the reasons",
)
def for_one(beneficiary_id: UUID, db: SessionDep, who: Staff) -> list[DuplicateHint]:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    hints = [hint(other, match) for other, match in duplicates.candidates_for(db, beneficiary)]
    # The hints tell that the other records exist and look like this person: both are read.
    audit.record(db, who, "read_duplicates", [beneficiary.beneficiary_id, *(h.beneficiary_id for h in hints)])
    db.commit()
    return hints


@router.get("/duplicates", response_model=CandidatePage, summary="The review queue of possible duplicates")
def review_queue(
    db: SessionDep,
    who: Staff,
    candidate_status: Annotated[CandidateStatus | None, Query(alias="status")] = CandidateStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CandidatePage:
    organisation = None if who.sees_every_organisation else who.organisation
    rows, total = duplicates.queue(db, candidate_status, organisation, limit, offset)
    items = [candidate_out(c, newer, older) for c, newer, older in rows]
    audit.record(db, who, "list_duplicates", dict.fromkeys(i for item in items for i in (item.newer, item.older)))
    db.commit()
    return CandidatePage(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/duplicates/{candidate_id}/dismiss",
    response_model=CandidatePublic,
    summary="Not the same person: take the pair off the queue",
)
def dismiss(uow: WorkDep, candidate_id: UUID, db: SessionDep, who: Manager) -> CandidatePublic:
    candidate = duplicates.candidate_by_id(db, candidate_id)
    if candidate is None:
        raise HTTPException(404, detail=f"no duplicate candidate {candidate_id}")
    candidate = duplicates.dismiss(uow, candidate)
    newer, older = db.get_one(Beneficiary, candidate.beneficiary_pk), db.get_one(Beneficiary, candidate.other_pk)
    return candidate_out(candidate, newer, older)


@router.post(
    "/duplicates/{candidate_id}/merge",
    response_model=BeneficiaryPublic,
    summary="The same person: keep one registration, retire the other and announce the merge",
    responses={409: {"description": "Already resolved, or `keep` is not one of the pair"}},
)
def merge(uow: WorkDep, candidate_id: UUID, body: MergeRequest, db: SessionDep, who: Manager) -> BeneficiaryPublic:
    candidate = duplicates.candidate_by_id(db, candidate_id)
    if candidate is None:
        raise HTTPException(404, detail=f"no duplicate candidate {candidate_id}")
    kept = duplicates.merge(uow, candidate, body.keep)
    return BeneficiaryPublic.model_validate(kept, from_attributes=True)


@router.post(
    "/duplicates/scans",
    response_model=ScanJob,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Compare every registration with every other in the background; follow it with GET",
)
def start_scan(session_factory: Sessions, background: BackgroundTasks, who: Manager) -> ScanJob:
    with lock, session_factory() as db:  # the lock keeps this process from starting two at once
        if jobs.running(db, KIND):
            raise Conflict("a scan is already running", code="scan_running")
        job = ScanJob(job_id=uuid.uuid4().hex, status="running")
        jobs.create(session_factory, job.job_id, KIND, "*", who.subject, job.model_dump())
    checkpoint = jobs.Checkpoint(session_factory, job.job_id)

    def progress(done: int, total: int) -> None:
        job.people_done, job.people_total = done, total
        checkpoint(job.model_dump())

    def run() -> None:
        try:
            with session_factory() as db:
                job.result = duplicates.scan(db, progress)
            job.status = "finished"
        except Exception as exc:  # reported to whoever follows the job
            job.status, job.error = "failed", repr(exc)
        finally:
            checkpoint(job.model_dump(), final=True)

    background.add_task(run)
    return job


@router.get(
    "/duplicates/scans/{job_id}",
    response_model=ScanJob,
    summary="Progress and result of a scan",
    description="`status` is running, finished, failed, or interrupted: the process running it stopped (a "
    "restart); start a new scan.",
)
def scan_status(job_id: str, db: SessionDep, who: Manager) -> ScanJob:
    row = jobs.get(db, job_id, KIND)
    if row is None:
        raise HTTPException(404, detail=f"no scan {job_id}")
    return ScanJob.model_validate({**row.report, "status": jobs.effective_status(row)})
