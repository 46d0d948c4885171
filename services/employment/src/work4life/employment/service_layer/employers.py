"""Employers and their offers. A caseworker works with their own organisation's employers; a
programme manager or an admin with every organisation's."""

from datetime import date
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life.contracts.employment import EmployerType, OfferKind, Ownership
from work4life.contracts.intake import Region
from work4life.contracts.training import Sector
from work4life.runtime.auth import Principal
from work4life.runtime.db import key, lock_row, page

from ..adapters.orm import Employer, JobOffer
from ..domain.model import (
    Conflict,
    EmployerRequest,
    EmployerUpdate,
    NotFound,
    OfferRequest,
    OfferStatus,
    OfferUpdate,
    Refused,
)
from .context import Work, now


def lock_offer(session: Session, offer: JobOffer) -> None:
    """Take the offer's write lock for the rest of the transaction and read it afresh."""
    lock_row(session, offer)


# -- employers -------------------------------------------------------------------------------


def create_employer(uow: Work, request: EmployerRequest) -> Employer:
    session, actor = uow.session, uow.staff
    organisation = request.organisation or actor.organisation
    if not actor.may_see(organisation):
        raise Refused("organisation", f"you may record employers only for {actor.organisation}")
    employer = Employer(
        **request.model_dump(exclude={"organisation"}),
        organisation=organisation,
        created_at=now(),
        created_by=actor.subject,
    )
    session.add(employer)
    uow.commit()
    session.refresh(employer)
    return employer


def employer_by_id(session: Session, employer_id: UUID, actor: Principal) -> Employer:
    employer = session.exec(select(Employer).where(Employer.employer_id == employer_id)).first()
    if employer is None or not actor.may_see(employer.organisation):
        raise NotFound(f"no employer {employer_id}")
    return employer


def update_employer(uow: Work, employer: Employer, changes: EmployerUpdate) -> Employer:
    session = uow.session
    for name, value in changes.model_dump(exclude_unset=True).items():
        if value is None and name not in ("csr_details", "contact_phone", "contact_email"):
            raise Refused(name, "cannot be emptied")
        setattr(employer, name, value)
    session.add(employer)
    uow.commit()
    session.refresh(employer)
    return employer


def employers(
    session: Session,
    actor: Principal,
    *,
    type_: EmployerType | None,
    ownership: Ownership | None,
    sector: Sector | None,
    region: Region | None,
    csr: bool | None,
    text: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Employer], int]:
    query = select(Employer)
    if not actor.sees_every_organisation:
        query = query.where(Employer.organisation == actor.organisation)
    for column, value in ((Employer.type, type_), (Employer.ownership, ownership), (Employer.sector, sector)):
        if value is not None:
            query = query.where(column == value)
    if region:
        query = query.where(Employer.region == region)
    if csr is not None:
        query = query.where(Employer.csr_commitment == csr)
    if text:
        query = query.where(func.lower(Employer.name).contains(text.strip().lower(), autoescape=True))
    return page(session, query.order_by(col(Employer.name), col(Employer.id)), limit, offset)


# -- offers ----------------------------------------------------------------------------------


def create_offer(uow: Work, employer: Employer, request: OfferRequest) -> JobOffer:
    session, actor = uow.session, uow.staff
    offer = JobOffer(
        **request.model_dump(exclude={"languages", "region", "city"}),
        languages=[lang.model_dump(mode="json") for lang in request.languages],
        region=request.region or employer.region,
        city=request.city or employer.city,
        employer_pk=key(employer),
        created_at=now(),
        created_by=actor.subject,
    )
    session.add(offer)
    uow.commit()
    session.refresh(offer)
    return offer


def offer_by_id(session: Session, offer_id: UUID, actor: Principal) -> tuple[JobOffer, Employer]:
    row = session.exec(
        select(JobOffer, Employer)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
        .where(JobOffer.offer_id == offer_id)
    ).first()
    if row is None or not actor.may_see(row[1].organisation):
        raise NotFound(f"no offer {offer_id}")
    return row


def update_offer(uow: Work, offer: JobOffer, changes: OfferUpdate, hired: int) -> JobOffer:
    session = uow.session
    lock_offer(session, offer)
    values = changes.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            raise Refused(name, "cannot be emptied")
    if values.get("status") is OfferStatus.FILLED:
        raise Refused("status", "an offer is filled by its hires")
    if "positions" in values and values["positions"] < hired:
        raise Conflict(
            f"{hired} people were already hired on this offer: positions cannot go below that",
            code="positions_below_hired",
            values={"hired": hired},
        )
    if "closes_on" in values and values["closes_on"] < offer.opens_on:
        raise Refused("closes_on", f"is before the offer opens ({offer.opens_on})")
    for name, value in values.items():
        setattr(offer, name, value)
    if "status" not in values and offer.status is not OfferStatus.CLOSED:
        offer.status = OfferStatus.FILLED if hired >= offer.positions else OfferStatus.OPEN
    session.add(offer)
    uow.commit()
    session.refresh(offer)
    return offer


def offers(
    session: Session,
    actor: Principal,
    *,
    status: OfferStatus | None,
    kind: OfferKind | None,
    region: Region | None,
    sector: Sector | None,
    employer_id: UUID | None,
    open_on: date | None,
    text: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[JobOffer, Employer]], int]:
    query = select(JobOffer, Employer).join(Employer, col(Employer.id) == JobOffer.employer_pk)
    if not actor.sees_every_organisation:
        query = query.where(Employer.organisation == actor.organisation)
    if status:
        query = query.where(JobOffer.status == status)
    if kind:
        query = query.where(JobOffer.kind == kind)
    if region:
        query = query.where(JobOffer.region == region)
    if sector:
        query = query.where(Employer.sector == sector)
    if employer_id:
        query = query.where(Employer.employer_id == employer_id)
    if open_on:
        query = query.where(JobOffer.opens_on <= open_on, JobOffer.closes_on >= open_on)
    if text:
        query = query.where(func.lower(JobOffer.title).contains(text.strip().lower(), autoescape=True))
    return page(session, query.order_by(col(JobOffer.closes_on), col(JobOffer.id)), limit, offset)
