"""Training's tables. People appear only under intake's pseudonymous id: no names, no contacts."""

from datetime import date, datetime, time
from uuid import UUID, uuid4

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from work4life.contracts.intake import Region
from work4life.contracts.training import CourseKind, DropoutReason, Sector
from work4life.referrals import ReferralCandidate, ReferredPerson
from work4life.runtime.db import stored_as_value

from ..domain.model import AttendanceMark, CohortStatus, CompletionRule, EnrolmentStatus


class Course(SQLModel, table=True):
    __tablename__ = "course"
    __table_args__ = (Index("ix_course_kind", "kind", "sector"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: UUID = Field(default_factory=uuid4, unique=True)
    title: str = Field(max_length=200)
    kind: CourseKind = Field(sa_type=stored_as_value(CourseKind))
    provider: str = Field(max_length=200)
    hours: int
    certifying: bool
    sector: Sector = Field(sa_type=stored_as_value(Sector))
    description: str | None = Field(default=None, max_length=4000)
    organisation: str = Field(max_length=50, index=True)
    min_attendance_percent: int = 80
    final_assessment_required: bool = True
    pass_mark: int = 50
    active: bool = True
    created_at: datetime
    created_by: str = Field(max_length=200)

    @property
    def completion_rule(self) -> CompletionRule:
        return CompletionRule(
            min_attendance_percent=self.min_attendance_percent,
            final_assessment_required=self.final_assessment_required,
            pass_mark=self.pass_mark,
        )


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"
    __table_args__ = (Index("ix_cohort_dates", "starts_on", "ends_on"), Index("ix_cohort_region", "region", "status"))

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: UUID = Field(default_factory=uuid4, unique=True)
    course_pk: int = Field(foreign_key="course.id", index=True)
    label: str = Field(max_length=100)
    starts_on: date
    ends_on: date
    region: Region = Field(sa_type=stored_as_value(Region))
    place: str = Field(max_length=200)
    capacity: int
    trainer: str = Field(max_length=200)
    status: CohortStatus = Field(default=CohortStatus.OPEN, sa_type=stored_as_value(CohortStatus))
    organisation: str = Field(max_length=50, index=True)
    created_at: datetime
    created_by: str = Field(max_length=200)
    finished_on: date | None = None
    revision: int = Field(default=0, description="Bumped by each change to its seats; serialises them.")


class ClassSession(SQLModel, table=True):
    """One scheduled session of a cohort."""

    __tablename__ = "class_session"
    __table_args__ = (Index("ix_class_session_cohort", "cohort_pk", "held_on"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: UUID = Field(default_factory=uuid4, unique=True)
    cohort_pk: int = Field(foreign_key="cohort.id")
    held_on: date
    starts_at: time | None = None
    hours: float = 3.0
    topic: str | None = Field(default=None, max_length=200)


class Trainee(ReferredPerson, table=True):
    """What training knows of someone referred to it (ADR 6)."""

    __tablename__ = "trainee"


class Candidate(ReferralCandidate, table=True):
    """A referral from intake to training, waiting for (or placed in) a cohort."""

    __tablename__ = "candidate"
    __table_args__ = (Index("ix_candidate_status", "status", "reason"),)


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolment"
    __table_args__ = (
        Index("ix_enrolment_cohort", "cohort_pk", "status"),
        Index("ix_enrolment_beneficiary", "beneficiary_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: UUID = Field(default_factory=uuid4, unique=True)
    cohort_pk: int = Field(foreign_key="cohort.id")
    beneficiary_id: UUID
    referral_id: UUID | None = None
    status: EnrolmentStatus = Field(sa_type=stored_as_value(EnrolmentStatus))
    requested_at: datetime = Field(description="When the place was asked for: the waiting list's order.")
    enrolled_on: date | None = None
    from_waiting_list: bool = False
    final_score: int | None = None
    final_passed: bool | None = None
    final_assessed_on: date | None = None
    completed_on: date | None = None
    certificate_number: str | None = Field(default=None, max_length=40, unique=True)
    dropped_on: date | None = None
    dropout_reason: DropoutReason | None = Field(default=None, sa_type=stored_as_value(DropoutReason))
    dropout_note: str | None = Field(default=None, max_length=1000)
    ended_on: date | None = Field(default=None, description="When a waiting-list place or a seat was given up.")
    anonymised: bool = Field(default=False, description="The person was erased: the id above is a random stand-in.")
    created_by: str = Field(max_length=200)


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("enrolment_pk", "session_pk", name="uq_attendance_once"),)

    id: int | None = Field(default=None, primary_key=True)
    enrolment_pk: int = Field(foreign_key="enrolment.id", index=True)
    session_pk: int = Field(foreign_key="class_session.id", index=True)
    mark: AttendanceMark = Field(sa_type=stored_as_value(AttendanceMark))
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime


class SheetKey(SQLModel, table=True):
    """The key a device made for a register it sent: a register sent again with the same key (an
    offline roll-call whose answer was lost) is the one already entered, never entered twice."""

    __tablename__ = "attendance_sheet_key"

    key: str = Field(primary_key=True, max_length=100)
    session_pk: int = Field(foreign_key="class_session.id", index=True)
    sent_by: str = Field(max_length=200)
    received_at: datetime


class AttendanceCorrection(SQLModel, table=True):
    """Every change to a mark already entered: who, when, from what to what, and why."""

    __tablename__ = "attendance_correction"

    id: int | None = Field(default=None, primary_key=True)
    attendance_pk: int = Field(foreign_key="attendance.id", index=True)
    previous_mark: AttendanceMark = Field(sa_type=stored_as_value(AttendanceMark))
    new_mark: AttendanceMark = Field(sa_type=stored_as_value(AttendanceMark))
    reason: str | None = Field(default=None, max_length=500)
    corrected_by: str = Field(max_length=200)
    corrected_at: datetime
