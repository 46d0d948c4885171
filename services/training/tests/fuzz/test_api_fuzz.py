"""Schema-driven fuzzing of training's HTTP API: whatever the request, never a 5xx.

The database is seeded with a course, a cohort whose sessions are over, referred people, seats,
a waiting list and marks, and half the requests use those ids, so the fuzz reaches the rules
(capacity, attendance, completion) rather than stopping at a 404.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from sqlmodel import Session

from work4life.contracts.intake import ReferralReason
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, bearer, fuzz_api
from work4life.training.adapters.orm import Attendance, Candidate, ClassSession, Cohort, Course, Enrolment, Trainee
from work4life.training.bootstrap import build
from work4life.training.domain.model import AttendanceMark, EnrolmentStatus

from ..conftest import START, training_settings

ADMIN = bearer("admin", "lead-ngo", "fuzzer")


def seed(engine) -> dict[str, list[str]]:
    now = datetime.now(UTC)
    with Session(engine) as db:
        course = Course(
            title="Couture",
            kind="vocational",
            provider="OFPPT",
            hours=120,
            certifying=True,
            sector="textiles_and_clothing",
            organisation="ofppt-rabat",
            created_at=now,
            created_by="seed",
        )
        db.add(course)
        db.flush()
        cohort = Cohort(
            course_pk=course.id,
            label="Printemps",
            starts_on=START,
            ends_on=START + timedelta(days=20),
            region="rabat_sale_kenitra",
            place="Rabat",
            capacity=2,
            trainer="Mme B",
            organisation="ofppt-rabat",
            created_at=now,
            created_by="seed",
        )
        db.add(cohort)
        db.flush()
        sessions = [ClassSession(cohort_pk=cohort.id, held_on=START + timedelta(days=i)) for i in range(5)]
        db.add_all(sessions)
        db.flush()
        people, referrals, enrolments = [], [], []
        for i in range(4):
            who, referral = uuid4(), uuid4()
            db.add(Trainee(beneficiary_id=who, referral_consent=True, region="rabat_sale_kenitra"))
            db.add(
                Candidate(
                    referral_id=referral,
                    beneficiary_id=who,
                    reason=ReferralReason.VOCATIONAL_TRAINING,
                    referred_on=START,
                    referred_by="amappe-rabat",
                    region="rabat_sale_kenitra",
                    received_at=now,
                )
            )
            people.append(str(who))
            referrals.append(str(referral))
            if i < 3:
                place = Enrolment(
                    cohort_pk=cohort.id,
                    beneficiary_id=who,
                    referral_id=referral,
                    status=EnrolmentStatus.ENROLLED if i < 2 else EnrolmentStatus.WAITLISTED,
                    requested_at=now,
                    enrolled_on=START if i < 2 else None,
                    created_by="seed",
                )
                db.add(place)
                db.flush()
                enrolments.append(str(place.enrolment_id))
                if i < 2:
                    for s in sessions[: 3 + i]:
                        db.add(
                            Attendance(
                                enrolment_pk=place.id,
                                session_pk=s.id,
                                mark=AttendanceMark.PRESENT,
                                recorded_by="seed",
                                recorded_at=now,
                            )
                        )
        db.commit()
        return {
            "course_id": [str(course.course_id)],
            "cohort_id": [str(cohort.cohort_id)],
            "session_id": [str(s.session_id) for s in sessions],
            "enrolment_id": enrolments,
            "referral_id": referrals,
            "beneficiary_id": people,
        }


def test_no_request_makes_training_fail_with_a_server_error(tmp_path):
    settings = training_settings(database_url=f"sqlite:///{tmp_path}/training.db", **NO_BROKER)
    app = build(settings, today=lambda: date(2026, 6, 1))
    migrations.upgrade(app.state.runtime.engine, "work4life.training")  # in case the fuzzer skips the lifespan
    tried = fuzz_api(app, ADMIN, min_operations=20, path_values=seed(app.state.runtime.engine))
    print(f"\nfuzzed {len(tried)} operations")
