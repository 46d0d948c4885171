"""Intake with the outbox write removed: the reference of the write-path benchmark only.

`python -m benchmarks.intake_without_outbox` runs the intake service exactly as
`python -m work4life.intake` does, except that its use cases stage no event (so nothing is ever
published). Never deploy it: nothing it records would reach the other services."""

from work4life.intake import __main__ as intake_main
from work4life.intake.service_layer import handlers


def _no_outbox(*_args: object, **_kwargs: object) -> None:
    return None


if __name__ == "__main__":
    handlers.add_to_outbox = _no_outbox  # type: ignore[assignment]
    intake_main.main()
