"""`python -m work4life.enterprise` (or `w4l-enterprise`): run the enterprise service."""

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import EnterpriseSettings


def main() -> None:
    serve(EnterpriseSettings(), build)


if __name__ == "__main__":
    main()
