"""`python -m work4life.reporting` (or `w4l-reporting`): run the reporting service."""

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import ReportingSettings


def main() -> None:
    serve(ReportingSettings(), build)


if __name__ == "__main__":
    main()
