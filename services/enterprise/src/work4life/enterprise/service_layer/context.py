"""What a use case needs of the service around it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import Topic
from work4life.contracts.training import CourseKind
from work4life.runtime.days import KeepsDays, Programme
from work4life.runtime.outbox import add_to_outbox


@dataclass(frozen=True)
class Context(KeepsDays):
    producer: Producer
    topic_name: Callable[[str], str]  # catalogue name -> deployed topic name
    today: Callable[[], date] = date.today
    programme: Programme = field(default_factory=Programme)
    eur_rate: Decimal = Decimal("10.8000")
    grant_prerequisites: tuple[CourseKind, ...] = (CourseKind.FINANCIAL_EDUCATION,)
    follow_up_months: tuple[int, ...] = field(default=(6, 12, 24, 36))

    def publish(self, session: Session, event: tuple[Topic, Envelope[Any]]) -> None:
        """Stage an event in the outbox, in the caller's transaction."""
        topic, envelope = event
        add_to_outbox(session, self.topic_name(topic.name), envelope)


def now() -> datetime:
    return datetime.now(UTC)
