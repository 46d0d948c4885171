"""The research extract (ADR 23): one pseudonymous row per person who consented to the `statistics`
purpose, for impact evaluations and tracer studies. Counting people in the indicators needs no
consent; letting their own record out for a study does.

What a row holds is coarse on purpose: the quarter of registration, the age band then, sex,
nationality (a nationality held by fewer than five people of the extract becomes "other"), legal
status, disability, region and partner; then what happened to them in the programme, as flags and
the outcome of each retention check (yes, no, unreachable, not checked). No date of birth, no city, no service's id: the research id is
a keyed hash (HMAC-SHA256) of the person's id, with the `RESEARCH_ID_KEY` setting (the same person
gets the same research id in every extract, and nobody without the key can link it back) or, when
that is not set, with a key drawn for the one extract (its ids link nothing, not even to an
earlier extract)."""

import hashlib
import hmac
import secrets
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlmodel import Session, col, select

from ..adapters.orm import Activity, Person, ResearchExtract, StatisticsConsent
from ..domain.indicators import age_band
from .context import Work

SMALL_GROUP = 5
"""A nationality held by fewer people than this in the extract is written "other"."""

OUTCOMES = {
    "assessed": "assessed",
    "referred": "referred",
    "enrolled": "enrolled",
    "trained": "completed_course",
    "iga_support": "venture_support",
    "member_launched": "venture_launched",
    "placed": "placed",
}
RETENTION_MONTHS = (3, 6, 12)
RETAINED = {"still_employed": "yes", "left": "no", "unreachable": "unreachable"}
"""A retention column: "yes" when a check of any of the person's placements found them employed,
else "no" when one found they had left, else "unreachable", else "not checked"."""

COLUMNS = (
    "research_id",
    "registered_quarter",
    "age_band_at_registration",
    "sex",
    "nationality",
    "legal_status",
    "disability",
    "region",
    "partner_organisation",
    *OUTCOMES.values(),
    *(f"retained_{m}m" for m in RETENTION_MONTHS),
)


def research_id(key: bytes, beneficiary_id: UUID) -> str:
    return hmac.new(key, str(beneficiary_id).encode(), hashlib.sha256).hexdigest()[:20]


def consenting() -> Any:
    """The people with a statistics consent given and not withdrawn."""
    return (
        select(StatisticsConsent.beneficiary_id)
        .where(col(StatisticsConsent.given_on).is_not(None), col(StatisticsConsent.withdrawn_on).is_(None))
        .distinct()
    )


def rows(session: Session, key: bytes | None) -> list[dict[str, Any]]:
    """The extract's rows, ordered by research id (so that the order tells nothing)."""
    key = key or secrets.token_bytes(32)
    who = consenting()
    people = session.exec(
        select(Person).where(col(Person.beneficiary_id).in_(who), col(Person.anonymised).is_(False))
    ).all()
    facts: dict[UUID, set[str]] = defaultdict(set)
    retained: dict[tuple[UUID, int], set[str]] = defaultdict(set)
    for beneficiary_id, kind, months, category in session.exec(
        select(Activity.beneficiary_id, Activity.kind, Activity.months, Activity.category).where(
            col(Activity.beneficiary_id).in_(who), col(Activity.kind).in_([*OUTCOMES, "retention"])
        )
    ):
        if beneficiary_id is None:
            continue
        if kind == "retention" and months in RETENTION_MONTHS:
            retained[(beneficiary_id, months)].add(category or "")
        else:
            facts[beneficiary_id].add(kind)
    nationalities = Counter(p.nationality for p in people)
    found = []
    for person in people:
        quarter = (person.registered_on.month - 1) // 3 + 1
        row: dict[str, Any] = {
            "research_id": research_id(key, person.beneficiary_id),
            "registered_quarter": f"{person.registered_on.year}-Q{quarter}",
            "age_band_at_registration": age_band(person.birth_year, person.registered_on),
            "sex": person.sex,
            "nationality": person.nationality if nationalities[person.nationality] >= SMALL_GROUP else "other",
            "legal_status": person.legal_status,
            "disability": person.disability,
            "region": person.region,
            "partner_organisation": person.partner_organisation,
        }
        for kind, column in OUTCOMES.items():
            row[column] = kind in facts[person.beneficiary_id]
        for months in RETENTION_MONTHS:
            outcomes = retained.get((person.beneficiary_id, months), set())
            row[f"retained_{months}m"] = next((shown for o, shown in RETAINED.items() if o in outcomes), "not checked")
        found.append(row)
    return sorted(found, key=lambda r: r["research_id"])


def take(uow: Work, key: bytes | None) -> list[dict[str, Any]]:
    """The extract, and a line in `research_extract` saying who took it, when, with how many people."""
    found = rows(uow.session, key)
    who = uow.staff
    uow.session.add(ResearchExtract(at=datetime.now(UTC), by=who.subject, role=who.role.value, people=len(found)))
    uow.commit()
    return found
