"""Schema-driven fuzzing of enterprise's HTTP API: whatever the request, never a 5xx.

The database is seeded with referred people (with their financial education done), ventures at
several stages, a business plan, a grant with a met milestone and a launched venture with its
visits; half the requests use those ids, so the fuzz reaches the pipeline and money rules rather
than stopping at a 404.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from sqlmodel import Session

from work4life.contracts.intake import ReferralReason
from work4life.enterprise.adapters.orm import (
    BusinessPlanRecord,
    EnterpriseCandidate,
    Entrepreneur,
    FollowUpVisit,
    Grant,
    GrantTranche,
    TrainingCompletion,
    Venture,
    VentureMember,
)
from work4life.enterprise.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, bearer, fuzz_api

from ..conftest import APPLIED, enterprise_settings

ADMIN = bearer("admin", "lead-ngo", "fuzzer")
STAGES = ["application", "pre_incubation", "incubation", "acceleration", "launched"]


def seed(engine) -> dict[str, list[str]]:
    now = datetime.now(UTC)
    ids: dict[str, list[str]] = {"venture_id": [], "beneficiary_id": [], "referral_id": [], "grant_id": []}
    with Session(engine) as db:
        for i, stage in enumerate(STAGES):
            who, referral = uuid4(), uuid4()
            db.add(Entrepreneur(beneficiary_id=who, referral_consent=True, region="oriental"))
            db.add(
                EnterpriseCandidate(
                    referral_id=referral,
                    beneficiary_id=who,
                    reason=ReferralReason.ENTERPRISE_SUPPORT,
                    referred_on=APPLIED,
                    referred_by="amappe",
                    region="oriental",
                    received_at=now,
                )
            )
            db.add(
                TrainingCompletion(
                    enrolment_id=uuid4(), beneficiary_id=who, course_kind="financial_education", completed_on=APPLIED
                )
            )
            venture = Venture(
                name=f"Venture {i}",
                kind="micro_enterprise",
                sector="agrifood",
                region="oriental",
                city="Oujda",
                organisation="incubator-oujda",
                stage=stage,
                stage_changed_on=APPLIED,
                applied_on=APPLIED,
                created_at=now,
                created_by="seed",
                **(
                    {"legal_form": "sarl", "registered_on": APPLIED, "premises": "x", "active": True}
                    if stage == "launched"
                    else {}
                ),
            )
            db.add(venture)
            db.flush()
            db.add(VentureMember(venture_pk=venture.id, beneficiary_id=who, referral_id=referral, joined_on=APPLIED))
            db.add(
                BusinessPlanRecord(
                    venture_pk=venture.id,
                    investment_need=8_000_000,
                    own_contribution=2_000_000,
                    grant_requested=6_000_000,
                    other_financing=0,
                    expected_jobs=2,
                    expected_monthly_revenue=1_000_000,
                    updated_at=now,
                    updated_by="seed",
                )
            )
            if stage in ("acceleration", "launched"):
                grant = Grant(
                    venture_pk=venture.id,
                    approved=6_000_000,
                    cofinancing=2_000_000,
                    eur_rate_e4=108_000,
                    approved_on=APPLIED,
                    approved_by="seed",
                )
                db.add(grant)
                db.flush()
                db.add(
                    GrantTranche(grant_pk=grant.id, number=1, amount=3_600_000, milestone="a", milestone_met_on=APPLIED)
                )
                db.add(GrantTranche(grant_pk=grant.id, number=2, amount=2_400_000, milestone="b"))
                ids["grant_id"].append(str(grant.grant_id))
            if stage == "launched":
                for months in (6, 12, 24, 36):
                    db.add(
                        FollowUpVisit(
                            venture_pk=venture.id,
                            months_after_launch=months,
                            due_on=APPLIED + timedelta(days=30 * months),
                        )
                    )
            ids["venture_id"].append(str(venture.venture_id))
            ids["beneficiary_id"].append(str(who))
            ids["referral_id"].append(str(referral))
        db.commit()
    ids["months"] = ["6", "12"]
    ids["tranche"] = ["1", "2"]
    return ids


def test_no_request_makes_enterprise_fail_with_a_server_error(tmp_path):
    settings = enterprise_settings(database_url=f"sqlite:///{tmp_path}/enterprise.db", **NO_BROKER)
    app = build(settings, today=lambda: date(2026, 9, 1))
    migrations.upgrade(app.state.runtime.engine, "work4life.enterprise")  # in case the fuzzer skips the lifespan
    tried = fuzz_api(app, ADMIN, min_operations=20, path_values=seed(app.state.runtime.engine))
    print(f"\nfuzzed {len(tried)} operations")
