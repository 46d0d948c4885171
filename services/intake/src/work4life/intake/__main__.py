"""`python -m work4life.intake` (or `w4l-intake`): run the intake service."""

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import IntakeSettings


def main() -> None:
    serve(IntakeSettings(), build)


if __name__ == "__main__":
    main()
