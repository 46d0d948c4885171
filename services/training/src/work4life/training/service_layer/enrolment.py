"""Seats, the waiting list, attendance, the final assessment, completion and dropouts.

Every change to a cohort's seats first takes the cohort's lock (`catalogue.lock`), so capacity
holds under concurrent requests. Each use case runs in one unit of work and commits once, with the
events it causes staged in the outbox; the referral desk's handlers call the same functions with an
event's unit of work, which leaves the commit to the consumer.
"""

from dataclasses import dataclass, field
from datetime import date
from functools import partial
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from work4life import referrals
from work4life.contracts.training import DropoutReason
from work4life.runtime.auth import Principal
from work4life.runtime.days import DayRefused
from work4life.runtime.db import key

from ..adapters import event_mapping
from ..adapters.orm import (
    Attendance,
    AttendanceCorrection,
    Candidate,
    ClassSession,
    Cohort,
    Course,
    Enrolment,
    SheetKey,
    Trainee,
)
from ..domain.model import (
    ACTIVE_COHORT,
    ATTENDED,
    HOLDS_A_PLACE,
    KINDS_FOR_REASON,
    AttendanceSheet,
    CandidateStatus,
    CohortStatus,
    CohortUpdate,
    Conflict,
    DropoutRequest,
    EnrolmentStatus,
    EnrolRequest,
    FinalAssessment,
    NotFound,
    Refused,
    Unmet,
    attendance_rate,
    new_certificate_number,
    unmet_conditions,
)
from .catalogue import lock, page, seats
from .context import Work, now

# -- attendance figures ----------------------------------------------------------------------


def session_count(session: Session, cohort: Cohort) -> int:
    return session.exec(select(func.count()).where(ClassSession.cohort_pk == cohort.id)).one()


def attended_count(session: Session, enrolment: Enrolment) -> int:
    query = select(func.count()).where(
        Attendance.enrolment_pk == enrolment.id,
        col(Attendance.mark).in_([m.value for m in ATTENDED]),
    )
    return session.exec(query).one()


def attended_counts(session: Session, cohort: Cohort) -> dict[int, int]:
    query = (
        select(Attendance.enrolment_pk, func.count())
        .join(Enrolment, col(Enrolment.id) == Attendance.enrolment_pk)
        .where(Enrolment.cohort_pk == cohort.id, col(Attendance.mark).in_([m.value for m in ATTENDED]))
        .group_by(col(Attendance.enrolment_pk))
    )
    return dict(session.exec(query).all())


def rate_of(session: Session, enrolment: Enrolment, cohort: Cohort) -> float:
    return attendance_rate(attended_count(session, enrolment), session_count(session, cohort))


# -- seats -----------------------------------------------------------------------------------


def enrolment_by_id(session: Session, enrolment_id: UUID, actor: Principal) -> tuple[Enrolment, Cohort, Course]:
    enrolment = session.exec(select(Enrolment).where(Enrolment.enrolment_id == enrolment_id)).first()
    if enrolment is None:
        raise NotFound(f"no enrolment {enrolment_id}")
    cohort = session.get(Cohort, enrolment.cohort_pk)
    assert cohort is not None
    if not actor.may_see(cohort.organisation):
        raise NotFound(f"no enrolment {enrolment_id}")
    course = session.get(Course, cohort.course_pk)
    assert course is not None
    return enrolment, cohort, course


def _open_referral(session: Session, beneficiary_id: UUID, course: Course) -> Candidate | None:
    """The person's standing referral to training, preferring one whose reason suits the course."""
    query = select(Candidate).where(
        Candidate.beneficiary_id == beneficiary_id,
        col(Candidate.status).in_([CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value]),
    )
    found = list(session.exec(query.order_by(col(Candidate.referred_on).desc())))
    suiting = [c for c in found if course.kind in KINDS_FOR_REASON.get(c.reason, (course.kind,))]
    return (suiting or found)[0] if found else None


def _overlapping(session: Session, beneficiary_id: UUID, cohort: Cohort) -> tuple[Enrolment, Cohort] | None:
    query = (
        select(Enrolment, Cohort)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_pk)
        .where(
            Enrolment.beneficiary_id == beneficiary_id,
            col(Enrolment.status).in_([s.value for s in HOLDS_A_PLACE]),
            Cohort.starts_on <= cohort.ends_on,
            Cohort.ends_on >= cohort.starts_on,
        )
    )
    return session.exec(query).first()


def enrol(uow: Work, cohort: Cohort, course: Course, request: EnrolRequest) -> Enrolment:
    """Give the person a seat, or a place on the waiting list when asked for one and the cohort
    is full. Needs a standing referral to training (which carries the person's consent)."""
    session, context = uow.session, uow.context
    if not uow.may_see(cohort.organisation):
        raise NotFound(f"no cohort {cohort.cohort_id}")
    if cohort.status is not CohortStatus.OPEN:
        raise Conflict(
            f"cohort {cohort.cohort_id} is {cohort.status.value.replace('_', ' ')}: it takes no enrolments",
            code="cohort_closed_to_enrolment",
            values={"cohort_status": cohort.status},
        )
    who = request.beneficiary_id
    person = session.get(Trainee, who)
    referral = _open_referral(session, who, course)
    if referral is None or person is None or not person.referral_consent:
        raise Conflict(
            f"{who} has no standing referral to training: refer the person in intake (with their consent) first",
            code="no_standing_referral",
            values={"service": "training"},
        )
    enrolled_on = context.happened_on("enrolled_on", request.enrolled_on, (referral.referred_on, "the referral"))
    if enrolled_on > cohort.ends_on:
        raise DayRefused("enrolled_on", f"is after the cohort's last day ({cohort.ends_on.isoformat()})")
    lock(session, cohort)
    clash = _overlapping(session, who, cohort)
    if clash is not None:
        enrolment, other = clash
        where = "this cohort" if other.id == cohort.id else f"cohort {other.cohort_id} ({other.label}), which overlaps"
        raise Conflict(
            f"{who} is already {enrolment.status.value} in {where}",
            code="enrolment_exists" if other.id == cohort.id else "enrolment_overlaps",
            values={"enrolment_status": enrolment.status, "cohort": other.label},
        )
    taken = seats(session, cohort)
    full = taken.left(cohort.capacity) == 0 or taken.waitlisted > 0
    if full and not request.join_waiting_list:
        raise Conflict(
            f"cohort {cohort.cohort_id} is full ({cohort.capacity} seats taken"
            + (f", {taken.waitlisted} waiting" if taken.waitlisted else "")
            + "): ask again with join_waiting_list=true to take a place on its waiting list",
            code="cohort_full",
            values={"capacity": cohort.capacity, "waiting": taken.waitlisted},
        )
    enrolment = Enrolment(
        cohort_pk=key(cohort),
        beneficiary_id=who,
        referral_id=referral.referral_id,
        status=EnrolmentStatus.WAITLISTED if full else EnrolmentStatus.ENROLLED,
        requested_at=now(),
        created_by=uow.who,
    )
    session.add(enrolment)
    session.flush()
    if not full:
        _seat(uow, enrolment, cohort, course, from_waiting_list=False, on=enrolled_on)
    uow.commit()
    session.refresh(enrolment)
    return enrolment


def _seat(
    uow: Work, enrolment: Enrolment, cohort: Cohort, course: Course, *, from_waiting_list: bool, on: date | None = None
) -> None:
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.enrolled_on = on or uow.today()
    enrolment.from_waiting_list = from_waiting_list
    uow.session.add(enrolment)
    uow.publish(event_mapping.enrolled(enrolment, cohort, course, **uow.provenance))
    candidate = uow.session.get(Candidate, enrolment.referral_id) if enrolment.referral_id else None
    if candidate is not None and candidate.status is CandidateStatus.PENDING:
        answer(uow, candidate, CandidateStatus.ACCEPTED)


answer = partial(referrals.answer, answered=event_mapping.referral_answered)
"""Give a candidate its new status and tell intake (`work4life.referrals.answer`)."""


def fill_from_waiting_list(uow: Work, cohort: Cohort, course: Course) -> int:
    """Give every free seat to the next person in line (the caller holds the cohort's lock).
    Someone who meanwhile took a seat in an overlapping cohort loses their place in this line."""
    session = uow.session
    if cohort.status is not CohortStatus.OPEN:
        return 0
    seated = 0
    free = seats(session, cohort).left(cohort.capacity)
    waiting = session.exec(
        select(Enrolment)
        .where(Enrolment.cohort_pk == cohort.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(col(Enrolment.requested_at), col(Enrolment.id))
    )
    for enrolment in list(waiting):
        if seated >= free:
            break
        clash = session.exec(
            select(Enrolment.id)
            .join(Cohort, col(Cohort.id) == Enrolment.cohort_pk)
            .where(
                Enrolment.beneficiary_id == enrolment.beneficiary_id,
                Enrolment.status == EnrolmentStatus.ENROLLED,
                Cohort.starts_on <= cohort.ends_on,
                Cohort.ends_on >= cohort.starts_on,
            )
        ).first()
        if clash is not None:
            _end_place(enrolment, EnrolmentStatus.CANCELLED, uow.today())
            session.add(enrolment)
            continue
        _seat(uow, enrolment, cohort, course, from_waiting_list=True)
        seated += 1
    return seated


def _end_place(enrolment: Enrolment, status: EnrolmentStatus, today: date) -> None:
    enrolment.status = status
    enrolment.ended_on = today


def drop(
    uow: Work,
    enrolment: Enrolment,
    cohort: Cohort,
    course: Course,
    reason: DropoutReason,
    *,
    on: date | None = None,
    note: str | None = None,
    publish: bool = True,
) -> None:
    enrolment.status = EnrolmentStatus.DROPPED_OUT
    enrolment.dropout_reason = reason
    enrolment.dropout_note = note
    enrolment.dropped_on = on or uow.today()
    enrolment.ended_on = uow.today()
    uow.session.add(enrolment)
    if publish:
        rate = rate_of(uow.session, enrolment, cohort)
        uow.publish(event_mapping.dropped_out(enrolment, cohort, course, rate, **uow.provenance))


def drop_out(uow: Work, enrolment: Enrolment, cohort: Cohort, course: Course, request: DropoutRequest) -> Enrolment:
    """Record that an enrolled person left (their seat goes to the next in line), or take someone
    off the waiting list."""
    session, context = uow.session, uow.context
    lock(session, cohort)
    session.refresh(enrolment)
    if enrolment.status is EnrolmentStatus.WAITLISTED:
        _end_place(enrolment, EnrolmentStatus.CANCELLED, uow.today())
        enrolment.dropout_note = request.note
        session.add(enrolment)
    elif enrolment.status is EnrolmentStatus.ENROLLED:
        dropped_on = context.happened_on("dropped_on", request.dropped_on, (enrolment.enrolled_on, "the enrolment"))
        drop(uow, enrolment, cohort, course, request.reason, on=dropped_on, note=request.note)
        fill_from_waiting_list(uow, cohort, course)
    else:
        raise Conflict(
            f"enrolment {enrolment.enrolment_id} is {enrolment.status.value}: there is nothing to leave",
            code="nothing_to_leave",
            values={"enrolment_status": enrolment.status},
        )
    uow.commit()
    session.refresh(enrolment)
    return enrolment


# -- attendance ------------------------------------------------------------------------------


def class_session_of(session: Session, cohort: Cohort, session_id: UUID) -> ClassSession:
    found = session.exec(select(ClassSession).where(ClassSession.session_id == session_id)).first()
    if found is None or found.cohort_pk != cohort.id:
        raise NotFound(f"cohort {cohort.cohort_id} has no session {session_id}")
    return found


@dataclass
class SheetResult:
    marks: list[tuple[UUID, Attendance]]
    not_on_sheet: list[UUID]
    corrected: int = 0
    recorded: int = 0
    corrections: list[AttendanceCorrection] = field(default_factory=list)


class SheetAlreadyEntered(Exception):
    """A register sent again with the key of one already entered for this session."""


def record_attendance(
    uow: Work, cohort: Cohort, class_session: ClassSession, sheet: AttendanceSheet, sheet_key: str | None = None
) -> SheetResult:
    """Enter (or correct) one session's register for the class. Marks that change are kept in
    the audit trail with who changed them, when and why. With `sheet_key` (made by the device
    that took the roll-call) a register sent twice is entered once: the repeat changes nothing,
    not even a correction made in between."""
    session = uow.session
    lock(session, cohort)  # one register at a time per cohort: two at once would enter a mark twice
    if sheet_key is not None:
        seen = session.get(SheetKey, sheet_key)
        if seen is not None:
            if seen.session_pk != class_session.id:
                raise Conflict(
                    "this Idempotency-Key was already used for another session's register: make a new one",
                    code="key_reused",
                )
            raise SheetAlreadyEntered()
        session.add(SheetKey(key=sheet_key, session_pk=key(class_session), sent_by=uow.who, received_at=now()))
    if cohort.status is CohortStatus.CANCELLED:
        raise Conflict(
            f"cohort {cohort.cohort_id} was cancelled", code="cohort_ended", values={"cohort_status": cohort.status}
        )
    if cohort.status is CohortStatus.FINISHED:
        raise Conflict(
            f"cohort {cohort.cohort_id} is finished: completions were decided on its attendance",
            code="attendance_settled",
        )
    if class_session.held_on > uow.today():
        raise Refused("held_on", f"the session of {class_session.held_on} has not taken place yet")
    class_list = {
        e.beneficiary_id: e
        for e in session.exec(
            select(Enrolment).where(
                Enrolment.cohort_pk == cohort.id,
                col(Enrolment.status).in_(
                    [EnrolmentStatus.ENROLLED.value, EnrolmentStatus.COMPLETED.value, EnrolmentStatus.DROPPED_OUT.value]
                ),
            )
        )
    }
    unknown = [i for i, entry in enumerate(sheet.entries) if entry.beneficiary_id not in class_list]
    if unknown:
        first = sheet.entries[unknown[0]].beneficiary_id
        raise Refused(
            f"entries.{unknown[0]}.beneficiary_id",
            f"{first} holds no seat in cohort {cohort.cohort_id}"
            + (f" (and {len(unknown) - 1} more entries like it)" if len(unknown) > 1 else ""),
        )
    existing = {
        a.enrolment_pk: a for a in session.exec(select(Attendance).where(Attendance.session_pk == class_session.id))
    }
    result = SheetResult(marks=[], not_on_sheet=[])
    for entry in sheet.entries:
        enrolment = class_list[entry.beneficiary_id]
        mark = existing.get(key(enrolment))
        if mark is None:
            mark = Attendance(
                enrolment_pk=key(enrolment),
                session_pk=key(class_session),
                mark=entry.mark,
                recorded_by=uow.who,
                recorded_at=now(),
            )
            result.recorded += 1
        elif mark.mark != entry.mark:
            correction = AttendanceCorrection(
                attendance_pk=key(mark),
                previous_mark=mark.mark,
                new_mark=entry.mark,
                reason=sheet.correction_reason,
                corrected_by=uow.who,
                corrected_at=now(),
            )
            session.add(correction)
            result.corrections.append(correction)
            mark.mark = entry.mark
            mark.recorded_by = uow.who
            mark.recorded_at = now()
            result.corrected += 1
        session.add(mark)
        result.marks.append((entry.beneficiary_id, mark))
    listed = {e.beneficiary_id for e in sheet.entries}
    result.not_on_sheet = [
        who for who, e in class_list.items() if who not in listed and e.status is EnrolmentStatus.ENROLLED
    ]
    uow.commit()
    return result


def attendance_of(session: Session, class_session: ClassSession) -> list[tuple[UUID, Attendance]]:
    query = (
        select(Enrolment.beneficiary_id, Attendance)
        .join(Enrolment, col(Enrolment.id) == Attendance.enrolment_pk)
        .where(Attendance.session_pk == class_session.id)
        .order_by(col(Attendance.id))
    )
    return list(session.exec(query).all())


def corrections_of(session: Session, class_session: ClassSession) -> list[tuple[UUID, AttendanceCorrection]]:
    query = (
        select(Enrolment.beneficiary_id, AttendanceCorrection)
        .join(Attendance, col(Attendance.id) == AttendanceCorrection.attendance_pk)
        .join(Enrolment, col(Enrolment.id) == Attendance.enrolment_pk)
        .where(Attendance.session_pk == class_session.id)
        .order_by(col(AttendanceCorrection.id))
    )
    return list(session.exec(query).all())


# -- assessment and completion ---------------------------------------------------------------


def _must_be_enrolled(enrolment: Enrolment, cohort: Cohort) -> None:
    if enrolment.status is not EnrolmentStatus.ENROLLED:
        raise Conflict(
            f"enrolment {enrolment.enrolment_id} is {enrolment.status.value}, not enrolled",
            code="not_enrolled",
            values={"enrolment_status": enrolment.status},
        )
    if cohort.status not in ACTIVE_COHORT:
        raise Conflict(
            f"cohort {cohort.cohort_id} is {cohort.status.value}",
            code="cohort_ended",
            values={"cohort_status": cohort.status},
        )


def record_final_assessment(
    uow: Work, enrolment: Enrolment, cohort: Cohort, course: Course, result: FinalAssessment
) -> Enrolment:
    session, context = uow.session, uow.context
    lock(session, cohort)
    session.refresh(enrolment)
    _must_be_enrolled(enrolment, cohort)
    assessed_on = context.happened_on("assessed_on", result.assessed_on, (enrolment.enrolled_on, "the enrolment"))
    enrolment.final_score = result.score
    enrolment.final_passed = result.score >= course.pass_mark
    enrolment.final_assessed_on = assessed_on
    session.add(enrolment)
    uow.commit()
    session.refresh(enrolment)
    return enrolment


class NotComplete(Conflict):
    """The completion rule is not met; `errors` names each unmet condition with its code."""

    def __init__(self, enrolment_id: UUID, unmet: list[Unmet]) -> None:
        super().__init__(
            f"enrolment {enrolment_id} does not meet the course's completion rule: "
            + "; ".join(f"{u.field}: {u.reason}" for u in unmet),
            code="completion_rule_unmet",
        )
        self.errors = [
            {"field": u.field, "reason": u.reason, "type": "completion_rule", "code": u.code, "values": u.values}
            for u in unmet
        ]


def _complete(
    uow: Work,
    enrolment: Enrolment,
    cohort: Cohort,
    course: Course,
    attended: int,
    sessions: int,
    on: date | None = None,
) -> None:
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_on = on or uow.today()
    if course.certifying:
        prefix = uow.context.certificate_prefix
        enrolment.certificate_number = new_certificate_number(prefix, enrolment.completed_on.year)
    uow.session.add(enrolment)
    rate = attendance_rate(attended, sessions)
    uow.publish(event_mapping.completed(enrolment, cohort, course, rate, **uow.provenance))
    candidate = uow.session.get(Candidate, enrolment.referral_id) if enrolment.referral_id else None
    if candidate is not None and candidate.status is CandidateStatus.ACCEPTED:
        answer(uow, candidate, CandidateStatus.COMPLETED)


def complete(uow: Work, enrolment: Enrolment, cohort: Cohort, course: Course) -> Enrolment:
    """Decide one person's completion under the course's rule (a 409 names what is missing)."""
    session = uow.session
    lock(session, cohort)  # a second click waits, then finds the completion already made
    session.refresh(enrolment)
    _must_be_enrolled(enrolment, cohort)
    attended, sessions = attended_count(session, enrolment), session_count(session, cohort)
    unmet = unmet_conditions(course.completion_rule, attended, sessions, enrolment.final_passed)
    if unmet:
        raise NotComplete(enrolment.enrolment_id, unmet)
    _complete(uow, enrolment, cohort, course, attended, sessions)
    uow.commit()
    session.refresh(enrolment)
    return enrolment


@dataclass(frozen=True)
class Closing:
    completed: int
    certificates: int
    not_completed: int
    waiting_list_cancelled: int


def close_cohort(uow: Work, cohort: Cohort, course: Course) -> Closing:
    """Finish a cohort: everyone still enrolled completes or not under the course's rule (those
    who do not are recorded as dropouts with the reason not_completed); the waiting list ends."""
    session = uow.session
    lock(session, cohort)
    if cohort.status not in ACTIVE_COHORT:
        raise Conflict(
            f"cohort {cohort.cohort_id} is {cohort.status.value}",
            code="cohort_ended",
            values={"cohort_status": cohort.status},
        )
    if uow.today() < cohort.ends_on:
        raise Conflict(
            f"cohort {cohort.cohort_id} runs until {cohort.ends_on}: close it after its last day",
            code="cohort_still_running",
            values={"ends_on": cohort.ends_on},
        )
    sessions = session_count(session, cohort)
    attended = attended_counts(session, cohort)
    completed = certificates = not_completed = cancelled = 0
    for enrolment in list(session.exec(select(Enrolment).where(Enrolment.cohort_pk == cohort.id))):
        if enrolment.status is EnrolmentStatus.WAITLISTED:
            _end_place(enrolment, EnrolmentStatus.CANCELLED, uow.today())
            session.add(enrolment)
            cancelled += 1
        elif enrolment.status is EnrolmentStatus.ENROLLED:
            count = attended.get(key(enrolment), 0)
            if unmet_conditions(course.completion_rule, count, sessions, enrolment.final_passed):
                drop(uow, enrolment, cohort, course, DropoutReason.NOT_COMPLETED, on=cohort.ends_on)
                not_completed += 1
            else:
                # It happened on the cohort's last day (or at a later final assessment), however
                # long after it the cohort is closed.
                on = max(cohort.ends_on, enrolment.final_assessed_on or cohort.ends_on)
                _complete(uow, enrolment, cohort, course, count, sessions, on=on)
                completed += 1
                certificates += enrolment.certificate_number is not None
    cohort.status = CohortStatus.FINISHED
    cohort.finished_on = uow.today()
    session.add(cohort)
    uow.commit()
    return Closing(completed, certificates, not_completed, cancelled)


# -- cohort changes --------------------------------------------------------------------------


def cancel_everyone(uow: Work, cohort: Cohort, course: Course) -> None:
    for enrolment in list(uow.session.exec(select(Enrolment).where(Enrolment.cohort_pk == cohort.id))):
        if enrolment.status is EnrolmentStatus.WAITLISTED:
            _end_place(enrolment, EnrolmentStatus.CANCELLED, uow.today())
            uow.session.add(enrolment)
        elif enrolment.status is EnrolmentStatus.ENROLLED:
            drop(uow, enrolment, cohort, course, DropoutReason.COHORT_CANCELLED)


def update_cohort(uow: Work, cohort: Cohort, course: Course, changes: CohortUpdate) -> Cohort:
    """Change a cohort. Raising the capacity (or reopening enrolment) seats people from the
    waiting list; cancelling ends every enrolment (dropouts with the reason cohort_cancelled)."""
    session = uow.session
    if not uow.may_see(cohort.organisation):
        raise NotFound(f"no cohort {cohort.cohort_id}")
    lock(session, cohort)
    if cohort.status not in ACTIVE_COHORT:
        raise Conflict(
            f"cohort {cohort.cohort_id} is {cohort.status.value} and can no longer change",
            code="cohort_settled",
            values={"cohort_status": cohort.status},
        )
    values = changes.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            raise Refused(name, "cannot be emptied")
    new_status = values.pop("status", None)
    if new_status is CohortStatus.FINISHED:
        raise Refused("status", "a cohort is finished by closing it: POST /v1/cohorts/{cohort_id}/close")
    if "capacity" in values:
        taken = seats(session, cohort)
        if values["capacity"] < taken.enrolled + taken.completed:
            raise Conflict(
                f"capacity {values['capacity']} is below the {taken.enrolled + taken.completed} seats already taken",
                code="capacity_below_taken",
                values={"capacity": values["capacity"], "taken": taken.enrolled + taken.completed},
            )
    for name, value in values.items():
        setattr(cohort, name, value)
    if new_status is not None:
        cohort.status = new_status
    session.add(cohort)
    session.flush()
    if cohort.status is CohortStatus.CANCELLED:
        cancel_everyone(uow, cohort, course)
    else:
        fill_from_waiting_list(uow, cohort, course)
    uow.commit()
    session.refresh(cohort)
    return cohort


# -- lists -----------------------------------------------------------------------------------


def enrolments_of(
    session: Session, cohort: Cohort, status: EnrolmentStatus | None, limit: int, offset: int
) -> tuple[list[Enrolment], int]:
    query = select(Enrolment).where(Enrolment.cohort_pk == cohort.id)
    if status:
        query = query.where(Enrolment.status == status)
    return page(session, query.order_by(col(Enrolment.requested_at), col(Enrolment.id)), limit, offset)


def enrolments_of_person(
    session: Session, beneficiary_id: UUID, actor: Principal
) -> list[tuple[Enrolment, Cohort, Course]]:
    query = (
        select(Enrolment, Cohort, Course)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_pk)
        .join(Course, col(Course.id) == Cohort.course_pk)
        .where(Enrolment.beneficiary_id == beneficiary_id)
        .order_by(col(Cohort.starts_on).desc())
    )
    return [row for row in session.exec(query).all() if actor.may_see(row[1].organisation)]


def waiting_position(session: Session, enrolment: Enrolment) -> int | None:
    if enrolment.status is not EnrolmentStatus.WAITLISTED:
        return None
    ahead = session.exec(
        select(func.count()).where(
            Enrolment.cohort_pk == enrolment.cohort_pk,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            (col(Enrolment.requested_at) < enrolment.requested_at)
            | ((col(Enrolment.requested_at) == enrolment.requested_at) & (col(Enrolment.id) < enrolment.id)),
        )
    ).one()
    return ahead + 1
