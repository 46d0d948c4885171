"""Approval of a period, as DHIS2 does it: a programme manager approves a month or a quarter that is
over; its figures are then served as approved, unchanged by events that arrive later.

- **Approving** copies, in one consistent read, the period's facts and the people they are about
  (with their attributes as they stand) into `approved_fact` and `approved_person`. Every answer
  for a period inside an approved one (the table, any breakdown, the funnel, the exports, the
  snapshot) is counted from that copy, by the same code (`indicators.Source`).
- **Late events** still reach the live read model. For each approved period, reporting compares
  the copy with the live facts and names why they differ: a *late entry* (a fact recorded after
  the approval, or told again with other values), a *merge* (a fact re-pointed to the kept
  person), an *erasure* (a fact moved to an erased person's stand-in), a *profile change* (a
  person's attributes changed). The difference they make to each indicator shows as an
  adjustment on the next open period of the same kind (the month, or quarter, after a run of
  approved ones), with those reasons.
- **Withdrawing** an approval (with a reason) serves the period live again; the approval row
  stays, for the record.
"""

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, case, exists, func, insert, literal, literal_column, or_
from sqlmodel import Session, col, select

from work4life.runtime.db import page, table
from work4life.runtime.errors import Conflict, NotFound

from ..adapters.orm import Activity, Approval, ApprovedFact, ApprovedPerson, Person
from ..domain.indicators import Unit
from . import indicators as engine
from .context import Work

APPROVABLE = re.compile(r"(month:\d{4}-\d{2}|quarter:\d{4}-Q[1-4])")
REASONS = ("late entry", "merge", "erasure", "profile change")

FACT_COLUMNS = [c.name for c in table(Activity).c if c.name != "id"]
PERSON_COLUMNS = [c.name for c in table(Person).c if c.name != "beneficiary_id"]


def _active() -> Any:
    return col(Approval.withdrawn_at).is_(None)


def label_of(period: engine.Period) -> str | None:
    """`month:YYYY-MM` or `quarter:YYYY-QN` when the period is exactly one; else None."""
    start, end = period.start, period.end
    if start is None or start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    if start.year == end.year and start.month == end.month:
        return f"month:{start.year}-{start.month:02d}"
    if start.year == end.year and start.month % 3 == 1 and end.month == start.month + 2:
        return f"quarter:{start.year}-Q{(start.month + 2) // 3}"
    return None


def _before(label: str) -> str:
    """The month or quarter just before `label`."""
    kind, rest = label.split(":")
    if kind == "month":
        year, month = map(int, rest.split("-"))
        return f"month:{year - (month == 1)}-{12 if month == 1 else month - 1:02d}"
    year, quarter = int(rest[:4]), int(rest[-1])
    return f"quarter:{year - (quarter == 1)}-Q{4 if quarter == 1 else quarter - 1}"


def approve(uow: Work, label: str, note: str | None) -> Approval:
    """Approve a month or a quarter that is over: copy its facts and people, in one consistent read."""
    session, who, today = uow.session, uow.staff, uow.context.today()
    if session.get_bind().dialect.name == "postgresql":  # both copies must see the same committed state
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    if not APPROVABLE.fullmatch(label):
        raise engine.BadQuery("period", "a month (month:YYYY-MM) or a quarter (quarter:YYYY-QN) is approved")
    period = engine.parse_period(label, None, None, today)
    assert period.start is not None  # a month or a quarter has a start
    if period.end >= today:
        raise Conflict(
            f"{label} is not over: it can be approved from {period.end + timedelta(days=1)}",
            code="period_not_over",
            values={"period": label, "approvable_on": period.end + timedelta(days=1)},
        )
    already = session.exec(select(Approval).where(Approval.period == label, _active())).first()
    if already is not None:
        raise Conflict(
            f"{label} was approved by {already.approved_by} on {already.approved_at:%Y-%m-%d}",
            code="period_approved",
            values={"period": label, "approved_by": already.approved_by, "approved_on": already.approved_at.date()},
        )
    approval = Approval(
        period=label,
        period_from=period.start,
        period_to=period.end,
        approved_at=datetime.now(UTC),
        approved_by=who.subject,
        note=note,
    )
    session.add(approval)
    session.flush()
    facts, people = table(Activity), table(Person)
    within = and_(facts.c.occurred_on >= period.start, facts.c.occurred_on <= period.end)
    session.execute(
        insert(table(ApprovedFact)).from_select(
            ["approval_id", "id", *FACT_COLUMNS],
            sa.select(literal(approval.id), facts.c.id, *(facts.c[n] for n in FACT_COLUMNS)).where(within),
        )
    )
    counted = sa.select(facts.c.beneficiary_id).where(within, facts.c.beneficiary_id.is_not(None)).distinct()
    session.execute(
        insert(table(ApprovedPerson)).from_select(
            ["approval_id", "beneficiary_id", *PERSON_COLUMNS],
            sa.select(literal(approval.id), people.c.beneficiary_id, *(people.c[n] for n in PERSON_COLUMNS)).where(
                people.c.beneficiary_id.in_(counted)
            ),
        )
    )
    return approval


def withdraw(uow: Work, approval_id: int, reason: str) -> Approval:
    session, who = uow.session, uow.staff
    approval = session.get(Approval, approval_id)
    if approval is None:
        raise NotFound(f"no approval {approval_id}")
    if approval.withdrawn_at is not None:
        raise Conflict(
            f"this approval was already withdrawn by {approval.withdrawn_by}",
            code="approval_withdrawn",
            values={"period": approval.period, "withdrawn_by": approval.withdrawn_by},
        )
    approval.withdrawn_at, approval.withdrawn_by, approval.withdrawn_reason = datetime.now(UTC), who.subject, reason
    session.add(approval)
    for frozen in (ApprovedFact, ApprovedPerson):
        session.execute(table(frozen).delete().where(table(frozen).c.approval_id == approval_id))
    return approval


def listed(session: Session, *, withdrawn: bool, limit: int, offset: int) -> tuple[list[Approval], int]:
    query = select(Approval) if withdrawn else select(Approval).where(_active())
    return page(session, query.order_by(col(Approval.period_from).desc(), col(Approval.id).desc()), limit, offset)


def sizes(session: Session, approval_id: int) -> tuple[int, int]:
    """How many facts and people an approval's copy holds."""
    f, p = table(ApprovedFact), table(ApprovedPerson)
    facts = session.execute(sa.select(func.count()).where(f.c.approval_id == approval_id)).scalar_one()
    people = session.execute(sa.select(func.count()).where(p.c.approval_id == approval_id)).scalar_one()
    return facts, people


def covering(session: Session, period: engine.Period) -> Approval | None:
    """The approval a period is served from: the narrowest active one that contains it."""
    if period.start is None:
        return None
    found = session.exec(
        select(Approval).where(_active(), Approval.period_from <= period.start, Approval.period_to >= period.end)
    )
    return min(found, key=lambda a: (a.period_to - a.period_from, -(a.id or 0)), default=None)


def source_of(approval_id: int) -> engine.Source:
    """The frozen copy of an approved period, shaped like the live tables."""
    f, p = table(ApprovedFact), table(ApprovedPerson)
    facts = sa.select(*(c for c in f.c if c.name != "approval_id")).where(f.c.approval_id == approval_id)
    people = sa.select(*(c for c in p.c if c.name != "approval_id")).where(p.c.approval_id == approval_id)
    return engine.Source(facts.subquery("activity"), people.subquery("person"))


# -- adjustments -----------------------------------------------------------------------------


@dataclass
class Adjustment:
    """How much an approved period's figure has moved since it was approved, and why."""

    period: str
    approved: Any
    current: Any
    reasons: dict[str, int] = field(default_factory=dict)  # reason -> facts (or people) concerned
    approved_result: engine.Result | None = None
    current_result: engine.Result | None = None

    @property
    def change(self) -> Any:
        if self.approved is None or self.current is None:
            return None
        return (
            round(self.current - self.approved, 1) if isinstance(self.current, float) else self.current - self.approved
        )


def reasons(session: Session, approval: Approval) -> dict[str, Counter[str]]:
    """Per fact kind, how many facts of the approved period differ from the copy, by reason; and
    under "*", the people counted then whose attributes changed since."""
    live, frozen = table(Activity), table(ApprovedFact)
    found: dict[str, Counter[str]] = defaultdict(Counter)
    copied = exists().where(frozen.c.approval_id == approval.id, frozen.c.id == live.c.id)
    late = (
        sa.select(live.c.kind, func.count())
        .where(live.c.occurred_on >= approval.period_from, live.c.occurred_on <= approval.period_to, ~copied)
        .group_by(live.c.kind)
    )
    for kind, n in session.execute(late):
        found[kind]["late entry"] += n
    told_again = or_(
        *(
            live.c[n].is_distinct_from(frozen.c[n])
            for n in FACT_COLUMNS
            if n not in ("fact_id", "beneficiary_id", "as_of")
        )
    )
    why = case(
        (live.c.id.is_(None), "late entry"),  # no longer there: never happens today, named if it ever does
        (live.c.fact_id != frozen.c.fact_id, "erasure"),
        (live.c.beneficiary_id.is_distinct_from(frozen.c.beneficiary_id), "merge"),
        (told_again, "late entry"),
        else_=None,
    )
    changed = (
        sa.select(frozen.c.kind, why.label("why"), func.count())
        .select_from(frozen.outerjoin(live, live.c.id == frozen.c.id))
        .where(frozen.c.approval_id == approval.id, why.is_not(None))
        .group_by(frozen.c.kind, literal_column("2"))  # by position: the CASE has bound parameters
    )
    for kind, reason, n in session.execute(changed):
        found[kind][reason] += n
    person, copy = table(Person), table(ApprovedPerson)
    moved = or_(*(person.c[n].is_distinct_from(copy.c[n]) for n in PERSON_COLUMNS if n not in ("as_of", "anonymised")))
    profiles = (
        sa.select(func.count())
        .select_from(copy.join(person, person.c.beneficiary_id == copy.c.beneficiary_id))
        .where(copy.c.approval_id == approval.id, moved)
    )
    n = session.execute(profiles).scalar_one()
    if n:
        found["*"]["profile change"] += n
    return found


def adjustments(
    session: Session, period: engine.Period, organisation: str | None, codes: list[str]
) -> dict[str, list[Adjustment]]:
    """For an open month or quarter: the approved periods just before it (the run of approved ones
    that it is the next open period after), and how each indicator moved in them since approval."""
    label = label_of(period)
    if label is None or covering(session, period) is not None:
        return {}
    found: dict[str, list[Adjustment]] = defaultdict(list)
    earlier = _before(label)
    for _ in range(240):  # twenty years of months: a run of approvals has an end
        approval = session.exec(select(Approval).where(Approval.period == earlier, _active())).first()
        if approval is None:
            break
        why = reasons(session, approval)
        if why:
            span = engine.Period(approval.period_from, approval.period_to)
            source = source_of(approval.id or 0)
            for code in codes:
                indicator = engine.BY_CODE[code]
                told = Counter[str]()
                for kind in indicator.kinds:
                    told.update(why.get(kind, Counter()))
                if indicator.unit is Unit.PERSONS or indicator.about_people:
                    told.update(why.get("*", Counter()))
                if not told:
                    continue
                then = engine.compute(session, code, span, [], organisation, source)
                now = engine.compute(session, code, span, [], organisation)
                found[code].append(
                    Adjustment(
                        period=approval.period,
                        approved=then.total,
                        current=now.total,
                        reasons={r: told[r] for r in REASONS if told[r]},
                        approved_result=then,
                        current_result=now,
                    )
                )
        earlier = _before(earlier)
    return found
