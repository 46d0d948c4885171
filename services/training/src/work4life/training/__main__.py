"""`python -m work4life.training` (or `w4l-training`): run the training service."""

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import TrainingSettings


def main() -> None:
    serve(TrainingSettings(), build)


if __name__ == "__main__":
    main()
