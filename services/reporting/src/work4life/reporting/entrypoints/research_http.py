"""HTTP routes of the research extract (ADR 23, `service_layer/research.py`): for programme managers
and admins, every extract logged."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import col, select

from work4life.runtime.api import MANAGERS, Limit, Offset, Page, SessionDep
from work4life.runtime.auth import Principal, require
from work4life.runtime.db import page
from work4life.runtime.spreadsheets import csv_text

from ..adapters.orm import ResearchExtract
from ..service_layer import research
from . import ContextDep, WorkDep

router = APIRouter(prefix="/v1/research", tags=["research"])
Manager = Annotated[Principal, Depends(require(*MANAGERS))]


class ExtractTaken(BaseModel):
    at: datetime
    by: str
    role: str
    people: int


@router.get(
    "/extract.csv",
    response_class=Response,
    summary="The research extract: one pseudonymous row per person who consented to statistics "
    "(programme managers, admins; logged)",
    description="Only people with a `statistics` consent given and not withdrawn (ADR 23); erased people never. "
    "Counting people in the indicators needs no consent and is not affected. Columns: "
    + ", ".join(research.COLUMNS)
    + ". The research id is a keyed hash of the person's id: stable across extracts when "
    "`W4L_REPORTING_RESEARCH_ID_KEY` is set, drawn for the one extract otherwise. A nationality held by fewer "
    "than five people of the extract is written `other`.",
)
def research_extract(uow: WorkDep, context: ContextDep, who: Manager) -> Response:
    rows = research.take(uow, context.research_key)
    table = [list(research.COLUMNS), *([row[c] for c in research.COLUMNS] for row in rows)]
    return Response(
        csv_text(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="research-extract-{context.today()}.csv"'},
    )


@router.get(
    "/extracts",
    response_model=Page[ExtractTaken],
    summary="Who took a research extract, when, and with how many people; newest first",
)
def extracts_taken(db: SessionDep, who: Manager, limit: Limit = 100, offset: Offset = 0) -> Page[ExtractTaken]:
    found, total = page(db, select(ResearchExtract).order_by(col(ResearchExtract.id).desc()), limit, offset)
    items = [ExtractTaken(**row.model_dump(include={"at", "by", "role", "people"})) for row in found]
    return Page(items=items, total=total, limit=limit, offset=offset)
