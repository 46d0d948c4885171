"""Duplicate registrations: flagged at registration and by a full scan, reviewed, merged or dismissed."""

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import and_, extract, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from work4life.runtime.context import now
from work4life.runtime.db import key, table
from work4life.runtime.errors import Conflict

from ..adapters import event_mapping
from ..adapters.orm import (
    Beneficiary,
    CandidateStatus,
    Consent,
    DuplicateCandidate,
    LegalStatusRecord,
    RecordStatus,
    Referral,
    SkillsAssessment,
)
from ..domain import duplicates as matcher
from . import audit
from .handlers import Work

log = logging.getLogger(__name__)


KEY_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "nationality",
    "given_name_ar",
    "family_name_ar",
    "phone",
    "email",
    "document_number",
)


def key_of(b: Any) -> matcher.PersonKey:
    """What the matcher reads of a registration (an ORM object, or a row of KEY_FIELDS and id)."""
    return matcher.PersonKey(ref=b.id, **{name: getattr(b, name) for name in KEY_FIELDS} | {"sex": str(b.sex)})


_KEY_COLUMNS = [table(Beneficiary).c[name] for name in ("id", *KEY_FIELDS)]


def _pool_for(session: Session, b: Beneficiary, threshold: float) -> list[matcher.PersonKey]:
    """The active people who could reach `threshold` with `b`: those sharing a phone, e-mail or
    document, and those whose birth date can count as evidence (at the threshold: the same year,
    or one year apart on the same day and month; below it, anyone born within a year). Only the
    columns the matcher reads, as plain rows (ORM objects, then typed rows, were most of a
    registration's time; at the programme's 15,000 people this reads about 400 rows)."""
    c = table(Beneficiary).c
    same_contact = [c[name] == getattr(b, name) for name in matcher.CONTACTS if getattr(b, name)]
    year, born = b.birth_year, b.date_of_birth
    if matcher.birth_date_needed(threshold):
        dated = or_(
            c.birth_year == year,
            and_(
                c.birth_year.in_((year - 1, year + 1)),
                extract("month", c.date_of_birth) == born.month,
                extract("day", c.date_of_birth) == born.day,
            ),
        )
    else:
        dated = c.birth_year.between(year - 1, year + 1)
    query = sa_select(*_KEY_COLUMNS).where(c.status == RecordStatus.ACTIVE, c.id != b.id, or_(dated, *same_contact))
    return [
        matcher.PersonKey(ref, given, family, day, str(sex), *rest)
        for ref, given, family, day, sex, *rest in session.connection().execute(query)
    ]


def candidates_for(
    session: Session, b: Beneficiary, threshold: float = matcher.THRESHOLD
) -> list[tuple[Beneficiary, matcher.Match]]:
    matches = matcher.candidates(key_of(b), _pool_for(session, b, threshold), threshold=threshold)
    if not matches:
        return []
    found = {
        key(p): p for p in session.exec(select(Beneficiary).where(col(Beneficiary.id).in_([m.ref for m in matches])))
    }
    return [(found[m.ref], m) for m in matches]


def _queue(session: Session, newer: Beneficiary, older: Beneficiary, match: matcher.Match, found_by: str) -> bool:
    """Put the pair in the review queue (committed at once) unless it is there already. Two
    registrations of one person made at the same moment each find the other: the second insert
    loses the race to the unique index, and that is fine."""
    a, b = (newer, older) if (newer.id or 0) > (older.id or 0) else (older, newer)
    exists = session.exec(
        select(DuplicateCandidate).where(DuplicateCandidate.beneficiary_pk == a.id, DuplicateCandidate.other_pk == b.id)
    ).first()
    if exists is not None:
        return False
    session.add(
        DuplicateCandidate(
            beneficiary_pk=key(a),
            other_pk=key(b),
            score=match.score,
            reasons=match.reasons,
            found_by=found_by,
            found_at=now(),
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def flag_at_registration(session: Session, b: Beneficiary) -> list[tuple[Beneficiary, matcher.Match]]:
    """Candidates for a registration just committed. Never fails the registration: if flagging
    breaks, the person is registered all the same and the next scan finds the pair."""
    try:
        found = candidates_for(session, b)
        for other, match in found:
            _queue(session, b, other, match, "registration")
        return found
    except Exception:
        session.rollback()
        log.exception("duplicate flagging failed for %s; the next scan will look again", b.beneficiary_id)
        return []


def scan(session: Session, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Compare every active registration with every other (blocked by birth year); queue new pairs."""
    people = list(session.exec(select(Beneficiary).where(Beneficiary.status == RecordStatus.ACTIVE)))
    by_id = {key(p): p for p in people}
    pairs = matcher.all_pairs([key_of(p) for p in people], progress=progress)
    queued = sum(_queue(session, by_id[a.ref], by_id[b.ref], match, "scan") for a, b, match in pairs)
    session.commit()
    return {"people": len(people), "pairs": len(pairs), "queued": queued}


def queue(
    session: Session, status: CandidateStatus | None, organisation: str | None, limit: int, offset: int
) -> tuple[list[tuple[DuplicateCandidate, Beneficiary, Beneficiary]], int]:
    newer = table(Beneficiary).alias("newer")
    older = table(Beneficiary).alias("older")
    query = (
        select(DuplicateCandidate, newer.c.id, older.c.id)
        .join(newer, newer.c.id == DuplicateCandidate.beneficiary_pk)
        .join(older, older.c.id == DuplicateCandidate.other_pk)
    )
    if status:
        query = query.where(DuplicateCandidate.status == status)
    if organisation:
        query = query.where(newer.c.partner_organisation == organisation, older.c.partner_organisation == organisation)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(DuplicateCandidate.score).desc(), col(DuplicateCandidate.id)).offset(offset).limit(limit)
    )
    result = [
        (candidate, session.get_one(Beneficiary, newer_id), session.get_one(Beneficiary, older_id))
        for candidate, newer_id, older_id in rows
    ]
    return result, int(total)


def candidate_by_id(session: Session, candidate_id: UUID) -> DuplicateCandidate | None:
    return session.exec(select(DuplicateCandidate).where(DuplicateCandidate.candidate_id == candidate_id)).first()


class ReviewRefused(Conflict):
    """The pair is no longer open for review."""


def dismiss(uow: Work, candidate: DuplicateCandidate) -> DuplicateCandidate:
    session, actor = uow.session, uow.staff
    if candidate.status is not CandidateStatus.OPEN:
        raise ReviewRefused(
            f"this pair was already {candidate.status.value}",
            code="pair_reviewed",
            values={"candidate_status": candidate.status},
        )
    candidate.status = CandidateStatus.DISMISSED
    candidate.resolved_by = actor.subject
    candidate.resolved_at = now()
    session.add(candidate)
    pair = [session.get(Beneficiary, candidate.beneficiary_pk), session.get(Beneficiary, candidate.other_pk)]
    audit.record(session, actor, "dismiss_duplicate", [b.beneficiary_id for b in pair if b is not None])
    uow.commit()
    session.refresh(candidate)
    return candidate


def merge(uow: Work, candidate: DuplicateCandidate, keep: UUID) -> Beneficiary:
    """Keep one registration; retire the other and re-point everything recorded under it."""
    session, context, actor = uow.session, uow.context, uow.staff
    if candidate.status is not CandidateStatus.OPEN:
        raise ReviewRefused(
            f"this pair was already {candidate.status.value}",
            code="pair_reviewed",
            values={"candidate_status": candidate.status},
        )
    pair = [session.get(Beneficiary, candidate.beneficiary_pk), session.get(Beneficiary, candidate.other_pk)]
    kept = next((b for b in pair if b is not None and b.beneficiary_id == keep), None)
    if kept is None:
        raise ReviewRefused(
            f"keep must be one of the pair: {', '.join(str(b.beneficiary_id) for b in pair if b)}",
            code="keep_not_in_pair",
        )
    retired = next(b for b in pair if b is not None and b is not kept)
    if kept.status is not RecordStatus.ACTIVE or retired.status is not RecordStatus.ACTIVE:
        raise ReviewRefused("both registrations must still be active", code="pair_not_active")
    for model in (Consent, SkillsAssessment, Referral, LegalStatusRecord):
        for row in session.exec(select(model).where(model.beneficiary_pk == retired.id)):
            row.beneficiary_pk = kept.id
            session.add(row)
    retired.status = RecordStatus.MERGED
    retired.merged_into = kept.beneficiary_id
    retired.updated_at = now()
    session.add(retired)
    candidate.status = CandidateStatus.MERGED
    candidate.resolved_by = actor.subject
    candidate.resolved_at = now()
    session.add(candidate)
    for other in session.exec(
        select(DuplicateCandidate).where(
            DuplicateCandidate.status == CandidateStatus.OPEN,
            or_(col(DuplicateCandidate.beneficiary_pk) == retired.id, col(DuplicateCandidate.other_pk) == retired.id),
        )
    ):
        other.status = CandidateStatus.DISMISSED
        other.resolved_by = f"{actor.subject} (merged away)"
        other.resolved_at = now()
        session.add(other)
    uow.publish(event_mapping.beneficiaries_merged(kept, retired, context.today(), **uow.provenance))
    audit.record(session, actor, "merge", [kept.beneficiary_id, retired.beneficiary_id])
    uow.commit()
    session.refresh(kept)
    return kept
