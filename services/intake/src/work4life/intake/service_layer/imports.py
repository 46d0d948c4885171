"""Bulk import of a partner's registration spreadsheet, as a background job with progress."""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, select

from work4life.runtime.auth import Principal
from work4life.runtime.spreadsheets import csv_text

from ..adapters.orm import Beneficiary
from ..domain.model import Refused, fingerprint
from ..domain.spreadsheet import RowError, SpreadsheetError, map_header, parse_row, read_rows
from . import duplicates
from .handlers import Context, RegisterBeneficiary, Work, register_beneficiary

log = logging.getLogger(__name__)


@dataclass
class ImportJob:
    job_id: str
    filename: str
    status: str = "running"
    rows_total: int = 0
    rows_done: int = 0
    imported: int = 0
    already_registered: list[int] = field(default_factory=list)
    empty_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    duplicates_queued: int | None = None
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    failure: str | None = None

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> dict:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        data["rows_with_errors"] = self.rows_with_errors
        return data

    @classmethod
    def from_summary(cls, summary: dict) -> "ImportJob":
        """The job as its last checkpoint left it (to resume it)."""
        fields = {k: v for k, v in summary.items() if k in cls.__dataclass_fields__}
        fields["errors"] = [RowError(**e) for e in summary.get("errors", [])]
        return cls(**fields)

    def errors_csv(self) -> str:
        """The error report (a reason can quote what a cell held: neutralised against formulas)."""
        return csv_text([["row", "field", "reason"], *([e.row, e.field, e.reason] for e in self.errors)])


def run_import(
    job: ImportJob,
    content: bytes,
    session_factory: Callable[[], Session],
    context: Context,
    actor: Principal,
    checkpoint: Callable[..., None] | None = None,
) -> None:
    """Register every good row (one transaction each, with its events), report every other row.
    Starts at row `job.rows_done` (a resumed job: the rows before are done). `checkpoint` is given
    the report as it goes, and once more, `final`, at the end."""
    save = checkpoint or (lambda _report, final=False: None)
    try:
        header, cells_of = read_rows(content, job.filename)
        columns = map_header(header)
        rows = list(cells_of)
        job.rows_total = len(rows)
        for number, cells in rows[job.rows_done :]:
            _import_row(job, number, cells, columns, session_factory, context, actor)
            job.rows_done += 1
            save(job.summary())
        with session_factory() as session:
            job.duplicates_queued = duplicates.scan(session, lambda _done, _total: save(job.summary()))["queued"]
        job.status = "finished"
    except SpreadsheetError as exc:
        job.status, job.failure = "failed", str(exc)
    except Exception as exc:
        log.exception("import %s failed", job.job_id)
        job.status, job.failure = "failed", f"unexpected error after {job.rows_done} rows: {exc!r}"
    finally:
        job.finished_at = datetime.now(UTC).isoformat()
        save(job.summary(), final=True)


def _import_row(job, number, cells, columns, session_factory, context, actor) -> None:
    parsed = parse_row(number, cells, columns, actor.organisation, context.footprint)
    if parsed is None:
        job.empty_rows += 1
        return
    if parsed.errors or parsed.details is None:
        job.errors.extend(parsed.errors)
        return
    details = parsed.details
    if not actor.may_see(details.partner_organisation):
        job.errors.append(
            RowError(number, "partner_organisation", f"you may not register people for {details.partner_organisation}")
        )
        return
    key = fingerprint(
        details.given_name,
        details.family_name,
        details.date_of_birth,
        details.nationality,
        details.partner_organisation,
    )
    with session_factory() as session:
        if session.exec(select(Beneficiary.id).where(Beneficiary.fingerprint == key)).first() is not None:
            job.already_registered.append(number)
            return
        try:
            uow = Work.for_request(session, context, actor, None)
            register_beneficiary(uow, RegisterBeneficiary(details, parsed.consents))
        except Refused as refusal:
            job.errors.append(RowError(number, refusal.field, refusal.reason))
            return
    job.imported += 1
