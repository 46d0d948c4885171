"""Long jobs (spreadsheet imports, duplicate scans) kept in intake's database.

The process that runs a job writes its report as it goes (`Checkpoint`: at most once a second, and
always at the end) with a heartbeat. Any replica reads the job from the database, so the one that
did not start it answers too, and a restart loses nothing. A job still marked `running` whose
heartbeat is older than `STALE_AFTER_S` was cut off (its process stopped or was killed): it reads
as `interrupted`; an import can then be resumed from the row where it stopped, a scan run again.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..adapters.orm import BackgroundJob

STALE_AFTER_S = 60.0
"""A running job writes at least every `CHECKPOINT_EVERY_S`; this much silence means it was cut off."""
CHECKPOINT_EVERY_S = 1.0


def effective_status(job: BackgroundJob, now: float | None = None) -> str:
    if job.status == "running" and (now or time.time()) - job.heartbeat_at > STALE_AFTER_S:
        return "interrupted"
    return job.status


def create(
    session_factory: Callable[[], Session],
    job_id: str,
    kind: str,
    organisation: str,
    started_by: str,
    report: dict[str, Any],
    upload: bytes | None = None,
) -> None:
    with session_factory() as session:
        session.add(
            BackgroundJob(
                job_id=job_id,
                kind=kind,
                organisation=organisation,
                started_by=started_by,
                status="running",
                report=report,
                upload=upload,
                started_at=datetime.now(UTC),
                heartbeat_at=time.time(),
            )
        )
        session.commit()


def get(session: Session, job_id: str, kind: str) -> BackgroundJob | None:
    return session.exec(select(BackgroundJob).where(BackgroundJob.job_id == job_id, BackgroundJob.kind == kind)).first()


def running(session: Session, kind: str) -> list[BackgroundJob]:
    """The jobs of this kind still running somewhere (not cut off)."""
    rows = session.exec(
        select(BackgroundJob).where(BackgroundJob.kind == kind, col(BackgroundJob.status) == "running")
    ).all()
    now = time.time()
    return [row for row in rows if effective_status(row, now) == "running"]


def claim(session_factory: Callable[[], Session], job_id: str) -> bool:
    """Take an interrupted job over (mark it running again, heartbeat now). False when it is not
    interrupted: it finished, failed, or another process is running or has just taken it."""
    with session_factory() as session:
        job = session.exec(select(BackgroundJob).where(BackgroundJob.job_id == job_id).with_for_update()).first()
        if job is None or effective_status(job) != "interrupted":
            return False
        job.heartbeat_at = time.time()
        session.add(job)
        session.commit()
        return True


class Checkpoint:
    """Writes a running job's report and heartbeat, at most once every `CHECKPOINT_EVERY_S` until
    the final write."""

    def __init__(self, session_factory: Callable[[], Session], job_id: str) -> None:
        self.session_factory = session_factory
        self.job_id = job_id
        self._last = 0.0

    def __call__(self, report: dict[str, Any], *, final: bool = False) -> None:
        now = time.time()
        if not final and now - self._last < CHECKPOINT_EVERY_S:
            return
        self._last = now
        with self.session_factory() as session:
            job = session.exec(select(BackgroundJob).where(BackgroundJob.job_id == self.job_id)).one()
            job.report = report
            job.heartbeat_at = now
            if final:
                job.status = str(report.get("status", "finished"))
                job.finished_at = datetime.now(UTC)
                job.upload = None  # the file is not kept once the job is over
            session.add(job)
            session.commit()
