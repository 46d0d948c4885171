"""Schema-driven fuzzing of employment's HTTP API: whatever the request, never a 5xx.

The database is seeded with jobseekers in the pool, an employer, an open offer, applications at
each step, a placement with its checks and a job fair; half the requests use those ids, so the
fuzz reaches matching, hiring and retention rather than stopping at a 404.
"""

from datetime import UTC, date, datetime
from uuid import uuid4

from sqlmodel import Session

from work4life.contracts.intake import ReferralReason
from work4life.employment.adapters.orm import (
    Employer,
    EmploymentCandidate,
    JobApplication,
    JobFair,
    JobOffer,
    Jobseeker,
    Placement,
    RetentionCheck,
)
from work4life.employment.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, bearer, fuzz_api

from ..conftest import ASSESSMENT, TODAY, employment_settings

ADMIN = bearer("admin", "lead-ngo", "fuzzer")
STEPS = ["shortlisted", "interviewed", "interviewed", "hired"]


def seed(engine) -> dict[str, list[str]]:
    now = datetime.now(UTC)
    ids: dict[str, list[str]] = {"beneficiary_id": [], "referral_id": [], "application_id": []}
    with Session(engine) as db:
        employer = Employer(
            name="Hôtel",
            type="sme",
            ownership="mixed",
            sector="hospitality_and_tourism",
            region="tanger_tetouan_al_hoceima",
            city="Tanger",
            contact_name="R",
            organisation="ajr-tanger",
            created_at=now,
            created_by="seed",
        )
        db.add(employer)
        db.flush()
        offer = JobOffer(
            employer_pk=employer.id,
            title="Commis",
            kind="job",
            positions=3,
            isco08="9412",
            skills=["hygiene"],
            languages=[{"code": "fr", "level": "basic"}],
            region="tanger_tetouan_al_hoceima",
            city="Tanger",
            contract_type="fixed_term",
            wage_band="3000_to_4500",
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 12, 31),
            created_at=now,
            created_by="seed",
        )
        fair = JobFair(
            name="Forum",
            held_on=TODAY,
            region="tanger_tetouan_al_hoceima",
            city="Tanger",
            organisation="ajr-tanger",
            created_by="seed",
        )
        db.add_all([offer, fair])
        db.flush()
        placement_ids = []
        for step in STEPS:
            who, referral = uuid4(), uuid4()
            db.add(
                Jobseeker(
                    beneficiary_id=who,
                    referral_consent=True,
                    region="tanger_tetouan_al_hoceima",
                    assessed_on=TODAY,
                    **{k: v for k, v in ASSESSMENT.items()},
                )
            )
            db.add(
                EmploymentCandidate(
                    referral_id=referral,
                    beneficiary_id=who,
                    reason=ReferralReason.JOB_PLACEMENT,
                    referred_on=TODAY,
                    referred_by="amappe",
                    received_at=now,
                )
            )
            application = JobApplication(
                offer_pk=offer.id,
                beneficiary_id=who,
                referral_id=referral,
                status=step,
                shortlisted_on=TODAY,
                interviewed_on=TODAY if step != "shortlisted" else None,
                created_by="seed",
            )
            db.add(application)
            db.flush()
            if step == "hired":
                placement = Placement(
                    application_pk=application.id,
                    offer_pk=offer.id,
                    beneficiary_id=who,
                    contract_type="fixed_term",
                    starts_on=TODAY,
                    hours_per_week=44,
                    wage_band="3000_to_4500",
                    created_by="seed",
                )
                db.add(placement)
                db.flush()
                for months in (3, 6, 12):
                    db.add(RetentionCheck(placement_pk=placement.id, months_after_start=months, due_on=TODAY))
                placement_ids.append(str(placement.placement_id))
            ids["beneficiary_id"].append(str(who))
            ids["referral_id"].append(str(referral))
            ids["application_id"].append(str(application.application_id))
        db.commit()
        ids.update(
            employer_id=[str(employer.employer_id)],
            offer_id=[str(offer.offer_id)],
            fair_id=[str(fair.fair_id)],
            placement_id=placement_ids,
            months=["3", "6"],
        )
    return ids


def test_no_request_makes_employment_fail_with_a_server_error(tmp_path):
    settings = employment_settings(database_url=f"sqlite:///{tmp_path}/employment.db", **NO_BROKER)
    app = build(settings, today=lambda: date(2026, 9, 1))
    migrations.upgrade(app.state.runtime.engine, "work4life.employment")  # in case the fuzzer skips the lifespan
    tried = fuzz_api(app, ADMIN, min_operations=20, path_values=seed(app.state.runtime.engine))
    print(f"\nfuzzed {len(tried)} operations")
