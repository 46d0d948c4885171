"""What every use case needs of the service around it, declared once.

Each service's `service_layer/context.py` extends `ServiceContext` with its own settings (a
certificate prefix, the EUR rate, retention months...); the bootstrap builds it and routes read it
through the service's `ContextDep`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import Topic

from .days import KeepsDays, Programme
from .outbox import add_to_outbox


@dataclass(frozen=True, kw_only=True)
class ServiceContext(KeepsDays):
    producer: Producer
    topic_name: Callable[[str], str]  # catalogue name -> deployed topic name
    today: Callable[[], date] = date.today
    programme: Programme = field(default_factory=Programme)

    def publish(self, session: Session, event: tuple[Topic, Envelope[Any]]) -> None:
        """Stage an event in the outbox, in the caller's transaction; its commit wakes the relay."""
        topic, envelope = event
        add_to_outbox(session, self.topic_name(topic.name), envelope)


def now() -> datetime:
    """The time a fact is recorded at (UTC)."""
    return datetime.now(UTC)
