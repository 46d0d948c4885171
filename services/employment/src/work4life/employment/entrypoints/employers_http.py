"""HTTP routes of employers, offers and matching."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from work4life.contracts.employment import ContractType, EmployerType, OfferKind, Ownership, WageBand
from work4life.contracts.intake import EducationLevel, Region
from work4life.contracts.training import Sector
from work4life.runtime.api import Limit, Offset, Page, SessionDep, Staff
from work4life.runtime.strict import Day

from ..adapters.orm import Employer, JobOffer
from ..domain.matching import Match
from ..domain.model import EmployerRequest, EmployerUpdate, LanguageNeed, OfferRequest, OfferStatus, OfferUpdate
from ..service_layer import applications, employers, matching
from . import ContextDep, WorkDep


class EmployerPublic(BaseModel):
    employer_id: UUID
    name: str
    type: EmployerType
    ownership: Ownership
    sector: Sector
    region: Region
    city: str
    csr_commitment: bool
    csr_details: str | None
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    organisation: str


EmployerPage = Page[EmployerPublic]


class OfferPublic(BaseModel):
    offer_id: UUID
    employer_id: UUID
    employer_name: str
    title: str
    kind: OfferKind
    positions: int
    hired: int
    isco08: str | None
    skills: list[str]
    languages: list[LanguageNeed]
    education_level: EducationLevel | None
    region: Region
    city: str
    contract_type: ContractType
    wage_band: WageBand
    hours_per_week: int
    opens_on: date
    closes_on: date
    starts_on: date | None
    description: str | None
    status: OfferStatus


OfferPage = Page[OfferPublic]


class ScorePart(BaseModel):
    factor: str
    weight: int
    fit: float
    points: float
    why: str = Field(description="The reason, in English.")
    reason: str = Field(
        description="The reason's code (see the matching module's WHY), for a client that translates it."
    )
    values: dict[str, str] = Field(
        description="The values the reason names (codes of regions, levels, kinds, sectors)."
    )


class CandidateMatch(BaseModel):
    beneficiary_id: UUID
    score: float
    applied: bool
    explanation: list[ScorePart]


class CandidateMatchPage(Page[CandidateMatch]):
    offer_id: UUID


class OfferMatch(BaseModel):
    offer_id: UUID
    title: str
    employer_name: str
    region: Region
    closes_on: date
    score: float
    explanation: list[ScorePart]


class OfferMatchPage(Page[OfferMatch]):
    beneficiary_id: UUID


def explain(match: Match) -> list[ScorePart]:
    return [ScorePart(**p.__dict__) for p in match.parts]


def offer_out(db: Session, offer: JobOffer, employer: Employer) -> OfferPublic:
    return OfferPublic(
        **offer.model_dump(exclude={"id", "employer_pk", "revision", "created_at", "created_by"}),
        employer_id=employer.employer_id,
        employer_name=employer.name,
        hired=applications.hires_on(db, offer),
    )


router = APIRouter(prefix="/v1")


@router.post(
    "/employers",
    response_model=EmployerPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["employers"],
    summary="Record an employer (type, ownership, sector, region, CSR commitment, contact person)",
)
def create_employer(uow: WorkDep, body: EmployerRequest, who: Staff) -> EmployerPublic:
    return EmployerPublic.model_validate(employers.create_employer(uow, body), from_attributes=True)


@router.get(
    "/employers",
    response_model=EmployerPage,
    tags=["employers"],
    summary="Employers by name (paginated; filter by type, ownership, sector, region, CSR, name)",
)
def list_employers(
    db: SessionDep,
    who: Staff,
    type: EmployerType | None = None,
    ownership: Ownership | None = None,
    sector: Sector | None = None,
    region: Region | None = None,
    csr: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the name")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> EmployerPage:
    rows, total = employers.employers(
        db,
        who,
        type_=type,
        ownership=ownership,
        sector=sector,
        region=region,
        csr=csr,
        text=q,
        limit=limit,
        offset=offset,
    )
    items = [EmployerPublic.model_validate(e, from_attributes=True) for e in rows]
    return EmployerPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/employers/{employer_id}", response_model=EmployerPublic, tags=["employers"], summary="One employer")
def get_employer(employer_id: UUID, db: SessionDep, who: Staff) -> EmployerPublic:
    return EmployerPublic.model_validate(employers.employer_by_id(db, employer_id, who), from_attributes=True)


@router.patch(
    "/employers/{employer_id}", response_model=EmployerPublic, tags=["employers"], summary="Change an employer"
)
def update_employer(
    uow: WorkDep, employer_id: UUID, body: EmployerUpdate, db: SessionDep, who: Staff
) -> EmployerPublic:
    employer = employers.employer_by_id(db, employer_id, who)
    return EmployerPublic.model_validate(employers.update_employer(uow, employer, body), from_attributes=True)


@router.post(
    "/employers/{employer_id}/offers",
    response_model=OfferPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["offers"],
    summary="Publish an offer: job, internship or pre-employment placement, with its requirements",
)
def create_offer(uow: WorkDep, employer_id: UUID, body: OfferRequest, db: SessionDep, who: Staff) -> OfferPublic:
    employer = employers.employer_by_id(db, employer_id, who)
    return offer_out(db, employers.create_offer(uow, employer, body), employer)


@router.get(
    "/offers",
    response_model=OfferPage,
    tags=["offers"],
    summary="Offers, closing soonest first (paginated; filter by status, kind, region, sector, employer, "
    "open on a date, title)",
)
def list_offers(
    db: SessionDep,
    who: Staff,
    offer_status: Annotated[OfferStatus | None, Query(alias="status")] = None,
    kind: OfferKind | None = None,
    region: Region | None = None,
    sector: Sector | None = None,
    employer_id: UUID | None = None,
    open_on: Day | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the title")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OfferPage:
    rows, total = employers.offers(
        db,
        who,
        status=offer_status,
        kind=kind,
        region=region,
        sector=sector,
        employer_id=employer_id,
        open_on=open_on,
        text=q,
        limit=limit,
        offset=offset,
    )
    return OfferPage(items=[offer_out(db, o, e) for o, e in rows], total=total, limit=limit, offset=offset)


@router.get("/offers/{offer_id}", response_model=OfferPublic, tags=["offers"], summary="One offer")
def get_offer(offer_id: UUID, db: SessionDep, who: Staff) -> OfferPublic:
    offer, employer = employers.offer_by_id(db, offer_id, who)
    return offer_out(db, offer, employer)


@router.patch(
    "/offers/{offer_id}",
    response_model=OfferPublic,
    tags=["offers"],
    summary="Close or reopen an offer, change its positions or closing date",
)
def update_offer(uow: WorkDep, offer_id: UUID, body: OfferUpdate, db: SessionDep, who: Staff) -> OfferPublic:
    offer, employer = employers.offer_by_id(db, offer_id, who)
    offer = employers.update_offer(uow, offer, body, applications.hires_on(db, offer))
    return offer_out(db, offer, employer)


@router.get(
    "/offers/{offer_id}/matches",
    response_model=CandidateMatchPage,
    tags=["matching"],
    summary="The candidate pool ranked for an offer, each score explained factor by factor",
)
def offer_matches(
    offer_id: UUID,
    db: SessionDep,
    who: Staff,
    region: Annotated[Region | None, Query(description="Only people living in this region")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> CandidateMatchPage:
    offer, employer = employers.offer_by_id(db, offer_id, who)
    ranked, total = matching.candidates_for(db, offer, employer, region, limit, offset)
    items = [
        CandidateMatch(
            beneficiary_id=r.beneficiary_id, score=r.match.score, applied=r.applied, explanation=explain(r.match)
        )
        for r in ranked
    ]
    return CandidateMatchPage(offer_id=offer_id, items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/jobseekers/{beneficiary_id}/matches",
    response_model=OfferMatchPage,
    tags=["matching"],
    summary="Open offers ranked for a person of the pool, each score explained factor by factor",
)
def person_matches(
    context: ContextDep, beneficiary_id: UUID, db: SessionDep, who: Staff, limit: Limit = 20, offset: Offset = 0
) -> OfferMatchPage:
    rows, total = matching.offers_for(db, beneficiary_id, who, context.today(), limit, offset)
    items = [
        OfferMatch(
            offer_id=o.offer_id,
            title=o.title,
            employer_name=e.name,
            region=o.region,
            closes_on=o.closes_on,
            score=m.score,
            explanation=explain(m),
        )
        for o, e, m in rows
    ]
    return OfferMatchPage(beneficiary_id=beneficiary_id, items=items, total=total, limit=limit, offset=offset)
