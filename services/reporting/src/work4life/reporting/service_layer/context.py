"""What reporting's routes and snapshots need of the service around them."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from work4life.contracts.envelope import Producer


@dataclass(frozen=True)
class Context:
    producer: Producer
    topic_name: Callable[[str], str]  # catalogue name -> deployed topic name
    targets: dict[str, float] = field(default_factory=dict)  # indicator code -> the programme's target
    today: Callable[[], date] = date.today
