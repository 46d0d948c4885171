"""The referral desk on its own: tables of a made-up service in an in-memory SQLite, in a registry
of their own (so no service's schema sees them), and a desk that records what its hooks were asked.

Each service's tests then play the same rules through its API and consumer with its own work."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine, select

from work4life.contracts.envelope import Envelope, EventData, Producer
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ProgrammeService,
    ReferralMade,
    ReferralReason,
    ReferralStatus,
    ReferralStatusChanged,
    Region,
    Sex,
)
from work4life.contracts.referrals import ReferralAnswer
from work4life.contracts.topics import TRAINING_REFERRAL_ANSWERS
from work4life.referrals import (
    CandidateStatus,
    ReferralCandidate,
    ReferralDesk,
    ReferralWithoutConsent,
    ReferredPerson,
)
from work4life.runtime.context import ServiceContext
from work4life.runtime.errors import Conflict, NotFound
from work4life.runtime.events import new_envelope
from work4life.runtime.uow import UnitOfWork

TABLES = registry()
PRODUCER = Producer(service="training", organisation="test")
TODAY = date(2026, 3, 2)


class Own(SQLModel, registry=TABLES):
    pass


class Person(ReferredPerson, Own, table=True):
    __tablename__ = "person"


class Candidate(ReferralCandidate, Own, table=True):
    __tablename__ = "referral"


@dataclass(frozen=True, kw_only=True)
class Recording(ServiceContext):
    published: list[Any] = field(default_factory=list)

    def publish(self, session: Session, event: Any) -> None:
        self.published.append(event)


def answered(referral_id, beneficiary_id, answer, answered_on, *, producer, correlation_id, causation_id):
    return TRAINING_REFERRAL_ANSWERS, (referral_id, beneficiary_id, answer, answered_on)


class Desk(ReferralDesk[Person, Candidate, Recording]):
    def __init__(self) -> None:
        super().__init__(ProgrammeService.TRAINING, Person, Candidate, answered)
        self.asked: list[tuple[Any, ...]] = []

    def stop(self, uow, who, *, publish):
        self.asked.append(("stop", who, publish))

    def erase(self, uow, who, stand_in):
        self.asked.append(("erase", who, stand_in))

    def merge(self, uow, kept, retired):
        self.asked.append(("merge", kept, retired))

    def combine(self, kept, retired):
        self.asked.append(("combine", kept.beneficiary_id, retired.beneficiary_id))

    def referral_ended(self, uow, referral_id):
        self.asked.append(("ended", referral_id))

    def may_decline(self, session, candidate):
        if candidate.note == "in an application":
            raise Conflict("in an application", code="referral_in_application")


@pytest.fixture
def world():
    engine = create_engine("sqlite://")
    TABLES.metadata.create_all(engine)
    with Session(engine) as session:
        yield Desk(), Recording(producer=PRODUCER, topic_name=str, today=lambda: TODAY), session


def tell(desk: Desk, context: Recording, session: Session, data: EventData) -> None:
    handler = {
        ConsentGiven: desk.consent_given,
        ConsentWithdrawn: desk.consent_withdrawn,
        ReferralMade: desk.referral_made,
        ReferralStatusChanged: desk.referral_status_changed,
        BeneficiaryUpdated: desk.profile_updated,
        BeneficiaryErased: desk.erased,
        BeneficiariesMerged: desk.merged,
    }[type(data)]
    envelope: Envelope[Any] = new_envelope(data, key=str(uuid4()), producer=PRODUCER)
    handler(context, envelope, session)
    session.flush()


def consent(who: UUID, organisation: str = "training") -> ConsentGiven:
    return ConsentGiven(
        beneficiary_id=who,
        consent_id=uuid4(),
        purpose=ConsentPurpose.REFERRAL,
        organisation=organisation,
        notice_version="1",
        given_on=TODAY,
    )


def referral(who: UUID, region: Region | None = Region.ORIENTAL, made_on: date = TODAY) -> ReferralMade:
    return ReferralMade(
        referral_id=uuid4(),
        beneficiary_id=who,
        service=ProgrammeService.TRAINING,
        reason=ReferralReason.VOCATIONAL_TRAINING,
        made_on=made_on,
        partner_organisation="amal",
        region=region,
    )


def candidates_of(session: Session, who: UUID) -> list[Candidate]:
    return list(session.exec(select(Candidate).where(Candidate.beneficiary_id == who)))


def test_a_referral_needs_the_consent_to_that_service(world):
    desk, context, session = world
    who = uuid4()
    with pytest.raises(ReferralWithoutConsent, match="to referral to training"):
        tell(desk, context, session, referral(who))
    tell(desk, context, session, consent(who, organisation="employment"))  # another service's consent
    with pytest.raises(ReferralWithoutConsent):
        tell(desk, context, session, referral(who))
    tell(desk, context, session, consent(who, organisation=" Training "))
    made = referral(who)
    tell(desk, context, session, made)
    tell(desk, context, session, made)  # replayed
    [candidate] = candidates_of(session, who)
    assert (candidate.status, candidate.region, candidate.referred_by) == (
        CandidateStatus.PENDING,
        Region.ORIENTAL,
        "amal",
    )
    assert session.get(Person, who).region is Region.ORIENTAL


def test_withdrawing_consent_cancels_open_candidates_and_stops_the_rest(world):
    desk, context, session = world
    who = uuid4()
    tell(desk, context, session, consent(who))
    for _ in range(3):
        tell(desk, context, session, referral(who))
    _pending, accepted, completed = candidates_of(session, who)
    accepted.status, completed.status = CandidateStatus.ACCEPTED, CandidateStatus.COMPLETED
    session.add_all([accepted, completed])
    session.flush()
    tell(
        desk,
        context,
        session,
        ConsentWithdrawn(
            beneficiary_id=who, consent_id=uuid4(), purpose=ConsentPurpose.SERVICE_DELIVERY, withdrawn_on=TODAY
        ),
    )
    session.expire_all()
    assert sorted(c.status for c in candidates_of(session, who)) == sorted(
        [CandidateStatus.CANCELLED, CandidateStatus.CANCELLED, CandidateStatus.COMPLETED]
    )
    assert session.get(Person, who).referral_consent is False
    assert desk.asked == [("stop", who, True)]


def test_erasure_leaves_counts_and_no_way_back_to_the_person(world):
    desk, context, session = world
    who = uuid4()
    tell(desk, context, session, consent(who))
    tell(desk, context, session, referral(who))
    tell(desk, context, session, referral(who))
    tell(desk, context, session, BeneficiaryErased(beneficiary_id=who, erased_on=TODAY))
    session.expire_all()
    assert candidates_of(session, who) == [] and session.get(Person, who) is None
    rows = list(session.exec(select(Candidate)))
    stand_ins = {c.beneficiary_id for c in rows}
    assert len(rows) == 2 and len(stand_ins) == 1
    assert all(c.region is None and c.note is None and c.status is CandidateStatus.CANCELLED for c in rows)
    assert desk.asked == [("stop", who, False), ("erase", who, stand_ins.pop())]
    assert context.published == []


def test_a_merge_moves_candidates_and_folds_the_two_people(world):
    desk, context, session = world
    kept, retired = uuid4(), uuid4()
    tell(desk, context, session, consent(retired))
    tell(desk, context, session, referral(retired, region=Region.SOUSS_MASSA))
    tell(desk, context, session, consent(kept))
    session.get(Person, kept).region = None
    tell(
        desk,
        context,
        session,
        BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=TODAY),
    )
    session.expire_all()
    assert candidates_of(session, retired) == [] and len(candidates_of(session, kept)) == 1
    assert session.get(Person, retired) is None
    person = session.get(Person, kept)
    assert (person.referral_consent, person.region) == (True, Region.SOUSS_MASSA)
    assert desk.asked == [("merge", kept, retired), ("combine", kept, retired)]


def test_a_merge_into_someone_unknown_here_takes_the_retired_row(world):
    desk, context, session = world
    kept, retired = uuid4(), uuid4()
    tell(desk, context, session, consent(retired))
    tell(
        desk,
        context,
        session,
        BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=TODAY),
    )
    session.expire_all()
    assert session.get(Person, kept).referral_consent is True and session.get(Person, retired) is None


def test_a_move_takes_pending_candidates_along(world):
    desk, context, session = world
    who = uuid4()
    tell(desk, context, session, consent(who))
    tell(desk, context, session, referral(who))
    tell(desk, context, session, referral(who))
    _first, second = candidates_of(session, who)
    second.status = CandidateStatus.ACCEPTED
    session.add(second)
    moved = BeneficiaryUpdated(
        beneficiary_id=who,
        sex=Sex.FEMALE,
        birth_year=1990,
        nationality="SEN",
        disability=False,
        region=Region.FES_MEKNES,
        city="Fès",
        partner_organisation="amal",
        changed_fields=["region"],
    )
    tell(desk, context, session, moved)
    session.expire_all()
    assert session.get(Person, who).region is Region.FES_MEKNES
    assert {c.status: c.region for c in candidates_of(session, who)} == {
        CandidateStatus.PENDING: Region.FES_MEKNES,
        CandidateStatus.ACCEPTED: Region.ORIENTAL,  # already placed: stays where it was placed
    }
    tell(desk, context, session, moved.model_copy(update={"beneficiary_id": uuid4()}))  # never referred here
    assert session.exec(select(Person)).all() == [session.get(Person, who)]


def test_intake_cancelling_a_referral_ends_an_open_candidate_only(world):
    desk, context, session = world
    who = uuid4()
    tell(desk, context, session, consent(who))
    open_one, declined = referral(who), referral(who)
    tell(desk, context, session, open_one)
    tell(desk, context, session, declined)
    row = session.get(Candidate, declined.referral_id)
    row.status = CandidateStatus.DECLINED
    session.add(row)
    for made in (open_one, declined):
        cancelled = ReferralStatusChanged(
            referral_id=made.referral_id, beneficiary_id=who, status=ReferralStatus.CANCELLED, changed_on=TODAY
        )
        tell(desk, context, session, cancelled)
    assert session.get(Candidate, open_one.referral_id).status is CandidateStatus.CANCELLED
    assert session.get(Candidate, declined.referral_id).status is CandidateStatus.DECLINED
    assert desk.asked == [("ended", open_one.referral_id)]


def test_declining_answers_intake_once_and_only_a_pending_referral(world):
    desk, context, session = world
    who = uuid4()
    tell(desk, context, session, consent(who))
    made, applying = referral(who), referral(who)
    tell(desk, context, session, made)
    tell(desk, context, session, applying)
    session.get(Candidate, applying.referral_id).note = "in an application"
    session.commit()

    with pytest.raises(NotFound):
        desk.decline(UnitOfWork(session, context), uuid4(), None)
    with pytest.raises(Conflict, match="in an application"):
        desk.decline(UnitOfWork(session, context), applying.referral_id, "no")
    session.rollback()
    declined = desk.decline(UnitOfWork(session, context), made.referral_id, "full until June")
    assert (declined.status, declined.status_changed_on, declined.note) == (
        CandidateStatus.DECLINED,
        TODAY,
        "full until June",
    )
    assert context.published == [(TRAINING_REFERRAL_ANSWERS, (made.referral_id, who, ReferralAnswer.DECLINED, TODAY))]
    assert desk.asked == [("ended", made.referral_id)]
    with pytest.raises(Conflict, match="is declined"):
        desk.decline(UnitOfWork(session, context), made.referral_id, None)


def test_candidates_are_listed_oldest_referral_first_with_filters(world):
    desk, context, session = world
    people = [uuid4(), uuid4()]
    for who in people:
        tell(desk, context, session, consent(who))
    tell(desk, context, session, referral(people[0], made_on=date(2026, 2, 1)))
    tell(desk, context, session, referral(people[1], region=Region.SOUSS_MASSA, made_on=date(2026, 1, 5)))
    tell(desk, context, session, referral(people[0], made_on=date(2026, 1, 20)))

    def listed(**filters: Any) -> tuple[list[date], int]:
        query = {"status": None, "region": None, "beneficiary_id": None, "limit": 2, "offset": 0, **filters}
        rows, total = desk.candidates(session, **query)
        return [c.referred_on for c in rows], total

    assert listed() == ([date(2026, 1, 5), date(2026, 1, 20)], 3)
    assert listed(offset=2) == ([date(2026, 2, 1)], 3)
    assert listed(region=Region.ORIENTAL) == ([date(2026, 1, 20), date(2026, 2, 1)], 2)
    assert listed(beneficiary_id=people[1]) == ([date(2026, 1, 5)], 1)
    assert listed(status=CandidateStatus.DECLINED) == ([], 0)
    assert listed(also=[Candidate.referred_on > date(2026, 1, 10)]) == ([date(2026, 1, 20), date(2026, 2, 1)], 2)
