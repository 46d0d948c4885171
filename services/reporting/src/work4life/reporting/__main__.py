"""`python -m work4life.reporting` (or `w4l-reporting`): run the reporting service.

`python -m work4life.reporting rebuild --database-url URL` replays every topic reporting consumes
from the beginning into an empty database, with a progress display; point the service at it once
it is done (the live read model is left untouched). `--processes N` (PostgreSQL only) shares the
topics' partitions among N processes, as N members of the consumer group would. What staff
entered rather than events told (the targets and their audit trail, the snapshots already
published) is copied over from the live database (`W4L_REPORTING_DATABASE_URL`), since no replay
can bring it back (`entrypoints/rebuild.py`).
"""

import argparse
import sys

from work4life.runtime.serve import serve

from .bootstrap import build
from .config import ReportingSettings
from .entrypoints.rebuild import rebuild


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m work4life.reporting", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (the default)")
    again = sub.add_parser("rebuild", help="replay every consumed topic into an empty database")
    again.add_argument("--database-url", required=True, help="the empty database to build, e.g. sqlite:///rebuilt.db")
    again.add_argument(
        "--processes", type=int, default=1, help="processes sharing the partitions (PostgreSQL only; default 1)"
    )
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    if args.command == "rebuild":
        if args.processes < 1:
            parser.error("--processes must be 1 or more")
        return rebuild(settings, args.database_url, args.processes)
    serve(settings, build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
