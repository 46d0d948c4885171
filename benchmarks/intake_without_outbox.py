"""Intake with the outbox write removed: the reference of the write-path benchmark only.

`python -m benchmarks.intake_without_outbox` runs the intake service exactly as
`python -m work4life.intake` does, except that its use cases stage no event (so nothing is ever
published). Never deploy it: nothing it records would reach the other services."""

from typing import Any

from work4life.intake import __main__ as intake_main
from work4life.runtime.uow import UnitOfWork


def _stage_nothing(_uow: UnitOfWork[Any], _event: object) -> None:
    return None


if __name__ == "__main__":
    UnitOfWork.publish = _stage_nothing  # type: ignore[method-assign]  # the benchmark's one change
    intake_main.main()
