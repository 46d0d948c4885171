"""A use case's unit of work: events staged with the state change, committed by the request's unit
of work and left to the consumer's transaction by an event's."""

from uuid import uuid4

from sqlmodel import Session, select

from work4life.contracts.envelope import Producer
from work4life.runtime.auth import Principal, Role
from work4life.runtime.context import ServiceContext
from work4life.runtime.events import new_envelope
from work4life.runtime.outbox import OutboxMessage
from work4life.runtime.uow import UnitOfWork

from ..conftest import registration

CONTEXT = ServiceContext(producer=Producer(service="intake", organisation="org"), topic_name=lambda name: f"t.{name}")
CLERK = Principal(subject="aicha", role=Role.CASEWORKER, organisation="amappe")


def staged(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)))


def an_event(uow: UnitOfWork) -> tuple:
    from work4life.contracts.topics import INTAKE_BENEFICIARIES

    return INTAKE_BENEFICIARIES, new_envelope(registration(), key="k", **uow.provenance)


def test_a_request_commits_its_events_with_it_and_a_rollback_drops_them(engine):
    correlation = uuid4()
    with Session(engine) as session:
        uow = UnitOfWork.for_request(session, CONTEXT, CLERK, correlation)
        uow.publish(an_event(uow))
        session.rollback()
    assert staged(engine) == []
    with Session(engine) as session:
        uow = UnitOfWork.for_request(session, CONTEXT, CLERK, correlation)
        uow.publish(an_event(uow))
        uow.commit()
    [row] = staged(engine)
    assert row.topic == "t.intake.beneficiaries"
    assert (uow.who, uow.may_see("amappe"), uow.may_see("other")) == ("aicha", True, False)
    assert uow.provenance["correlation_id"] == correlation and uow.provenance["causation_id"] is None


def test_an_events_unit_of_work_leaves_the_commit_to_the_consumer(engine):
    cause = new_envelope(registration(), key="k", producer=CONTEXT.producer)
    with Session(engine) as session:
        uow = UnitOfWork.for_event(session, CONTEXT, cause)
        uow.publish(an_event(uow))
        uow.commit()  # only flushes: the consumer commits once, with its inbox row
        assert session.in_transaction()
        session.rollback()
    assert staged(engine) == []
    assert uow.provenance["correlation_id"] == cause.correlation_id
    assert uow.provenance["causation_id"] == cause.event_id
    assert (uow.who, uow.may_see("anyone")) == ("intake", True)
