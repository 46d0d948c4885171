"""The candidate pool and the matching between it and the open offers (the scoring itself is
`domain/matching.py`). The pool is everyone with a standing referral to employment and their
consent: their latest skills assessment and the courses they completed in training."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlmodel import Session, col, select

from work4life.contracts.intake import EducationLevel, LanguageLevel, Region
from work4life.runtime.auth import Principal

from ..adapters.orm import Employer, EmploymentCandidate, JobApplication, JobOffer, Jobseeker, Placement, TrainingRecord
from ..domain import matching
from ..domain.model import IN_PROGRESS, CandidateStatus, NotFound, OfferStatus

STANDING = (CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value)


def pool(session: Session, region: Region | None = None) -> list[Jobseeker]:
    """Jobseekers with their consent and a standing referral to employment."""
    referred = select(EmploymentCandidate.beneficiary_id).where(col(EmploymentCandidate.status).in_(STANDING))
    query = select(Jobseeker).where(Jobseeker.referral_consent == True, col(Jobseeker.beneficiary_id).in_(referred))  # noqa: E712
    if region:
        query = query.where(Jobseeker.region == region)
    return list(session.exec(query))


def in_pool(session: Session, who: UUID) -> Jobseeker | None:
    jobseeker = session.get(Jobseeker, who)
    if jobseeker is None or not jobseeker.referral_consent:
        return None
    standing = session.exec(
        select(EmploymentCandidate).where(
            EmploymentCandidate.beneficiary_id == who, col(EmploymentCandidate.status).in_(STANDING)
        )
    ).first()
    return jobseeker if standing else None


def placed_now(session: Session, who: UUID) -> bool:
    return (
        session.exec(
            select(Placement.id).where(Placement.beneficiary_id == who, Placement.left_on == None)  # noqa: E711
        ).first()
        is not None
    )


def profile(session: Session, jobseeker: Jobseeker) -> matching.Candidate:
    trainings = session.exec(select(TrainingRecord).where(TrainingRecord.beneficiary_id == jobseeker.beneficiary_id))
    return matching.Candidate(
        beneficiary_id=jobseeker.beneficiary_id,
        region=jobseeker.region,
        languages={
            lang["code"]: LanguageLevel(lang["level"]) if lang.get("level") else None for lang in jobseeker.languages
        },
        education=jobseeker.education_level,
        occupations=tuple((o["isco08"], float(o.get("years", 0))) for o in jobseeker.occupations),
        skills=frozenset(jobseeker.skills),
        trainings=tuple(
            matching.Training(t.course_kind, t.sector, t.certificate_number is not None) for t in trainings
        ),
        placed=placed_now(session, jobseeker.beneficiary_id),
    )


def offer_profile(offer: JobOffer, employer: Employer) -> matching.Offer:
    return matching.Offer(
        offer_id=offer.offer_id,
        region=offer.region,
        sector=employer.sector,
        isco08=offer.isco08,
        skills=frozenset(offer.skills),
        languages={
            lang["code"]: LanguageLevel(lang["level"]) if lang.get("level") else None for lang in offer.languages
        },
        education=EducationLevel(offer.education_level) if offer.education_level else None,
    )


@dataclass(frozen=True)
class Ranked:
    beneficiary_id: UUID
    match: matching.Match
    applied: bool


def candidates_for(
    session: Session, offer: JobOffer, employer: Employer, region: Region | None, limit: int, offset: int
) -> tuple[list[Ranked], int]:
    applied = set(
        session.exec(
            select(JobApplication.beneficiary_id).where(
                JobApplication.offer_pk == offer.id,
                col(JobApplication.status).in_([*(s.value for s in IN_PROGRESS), "hired"]),
            )
        )
    )
    wanted = offer_profile(offer, employer)
    ranked = matching.rank_candidates(wanted, [profile(session, j) for j in pool(session, region)])
    page = [Ranked(c.beneficiary_id, m, c.beneficiary_id in applied) for c, m in ranked[offset : offset + limit]]
    return page, len(ranked)


def offers_for(
    session: Session, who: UUID, actor: Principal, today: date, limit: int, offset: int
) -> tuple[list[tuple[JobOffer, Employer, matching.Match]], int]:
    jobseeker = in_pool(session, who)
    if jobseeker is None:
        raise NotFound(f"{who} is not in the candidate pool (no standing referral to employment with consent)")
    query = (
        select(JobOffer, Employer)
        .join(Employer, col(Employer.id) == JobOffer.employer_pk)
        .where(JobOffer.status == OfferStatus.OPEN, JobOffer.closes_on >= today)
    )
    if not actor.sees_every_organisation:
        query = query.where(Employer.organisation == actor.organisation)
    rows = list(session.exec(query))
    person = profile(session, jobseeker)
    scored = sorted(
        ((o, e, matching.score(person, offer_profile(o, e))) for o, e in rows),
        key=lambda row: (-row[2].score, str(row[0].offer_id)),
    )
    return scored[offset : offset + limit], len(scored)
