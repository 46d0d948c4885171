"""The unit of work a use case runs in: one transaction, the service around it, who acts and why.

A use case takes one `uow` instead of `(session, context, actor, correlation_id, ...)`:

- `uow.session` reads and writes the service's tables;
- `uow.publish(event)` stages an event in the outbox, in the same transaction;
- `uow.commit()` commits; the outbox's `after_commit` listener then wakes the relay, so an event
  is published after its transaction and never before (ADR 2). In a consumer's handler the unit
  of work does not own the transaction: the consumer commits once, with the inbox row (ADR 11),
  so `commit()` only flushes;
- `uow.provenance` is what every event the use case causes carries: the producer, the request's
  or the event's correlation id, and the event that caused it.

A route builds it with `UnitOfWork.for_request`, a consumer's handler with `UnitOfWork.for_event`.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypedDict, TypeVar
from uuid import UUID

from sqlmodel import Session

from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import Topic

from .auth import Principal
from .context import ServiceContext

X = TypeVar("X", bound=ServiceContext)


class Provenance(TypedDict):
    """What every event a use case causes carries (the keyword arguments of each `event_mapping`)."""

    producer: Producer
    correlation_id: UUID | None
    causation_id: UUID | None


@dataclass
class UnitOfWork(Generic[X]):
    session: Session
    context: X
    actor: Principal | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    owns_transaction: bool = True

    @classmethod
    def for_request(
        cls, session: Session, context: X, actor: Principal, correlation_id: UUID | None
    ) -> "UnitOfWork[X]":
        return cls(session, context, actor, correlation_id)

    @classmethod
    def for_event(cls, session: Session, context: X, envelope: Envelope[Any]) -> "UnitOfWork[X]":
        """The unit of work of an event's handler: inside the consumer's transaction."""
        return cls(session, context, None, envelope.correlation_id, envelope.event_id, owns_transaction=False)

    @property
    def provenance(self) -> Provenance:
        return Provenance(
            producer=self.context.producer, correlation_id=self.correlation_id, causation_id=self.causation_id
        )

    @property
    def staff(self) -> Principal:
        """The signed-in user, for a use case only staff start (a route's)."""
        if self.actor is None:
            raise RuntimeError("this use case runs for a signed-in user, not for an event")
        return self.actor

    @property
    def who(self) -> str:
        """Who acts, for the audit columns: the signed-in user, or the service itself for an event."""
        return self.actor.subject if self.actor is not None else self.context.producer.service

    def may_see(self, organisation: str) -> bool:
        """Whether who acts may see an organisation's records (the service itself sees all)."""
        return self.actor is None or self.actor.may_see(organisation)

    def today(self) -> date:
        return self.context.today()

    def publish(self, event: tuple[Topic, Envelope[Any]]) -> None:
        """Stage `event` in the outbox, in this unit of work's transaction."""
        self.context.publish(self.session, event)

    def commit(self) -> None:
        """Commit (a request), or only flush inside a consumer's transaction (an event)."""
        if self.owns_transaction:
            self.session.commit()
        else:
            self.session.flush()
