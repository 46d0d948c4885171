"""`python -m work4life.employment` (or `w4l-employment`): run the employment service."""

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import EmploymentSettings


def main() -> None:
    serve(EmploymentSettings(), build)


if __name__ == "__main__":
    main()
