"""Reporting's HTTP API."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from work4life.contracts.intake import Region
from work4life.runtime.api import SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.strict import Day

from ..domain import disclosure
from ..domain.disclosure import HIDDEN
from ..domain.indicators import suppressed
from ..service_layer import queries


class RegistrationSummaryOut(BaseModel):
    total: int | str = Field(description='Exact for programme managers and admins; "<5" for a count from 1 to 4.')
    by_sex: dict[str, int | str] = Field(
        description=f'Small cells, and those that would give them back, are "{HIDDEN}".'
    )
    by_region: dict[str, int | str]


EXACT = (Role.PROGRAMME_MANAGER, Role.ADMIN)


def hidden_small(counts: dict[str, int]) -> dict[str, int | str]:
    """One breakdown of the summary with its small cells hidden, and the cells that would give
    them back from the total (`domain.disclosure`)."""
    cells: dict[disclosure.Key, disclosure.Measures] = {(name,): (value,) for name, value in counts.items()}
    hidden = disclosure.protect(cells, 1, disclosure.small_count).of((0,))
    return {name: HIDDEN if (name,) in hidden else value for name, value in counts.items()}


router = APIRouter(prefix="/v1", tags=["registrations"])


@router.get(
    "/registrations/summary",
    response_model=RegistrationSummaryOut,
    summary="Registered people: total, by sex and by region (small cells hidden below programme manager)",
    responses={422: {"description": "A filter is invalid; the body names it and says why"}},
)
def summary(
    db: SessionDep,
    who: Annotated[Principal, Depends(require(*Role))],
    region: Region | None = None,
    partner_organisation: str | None = None,
    registered_from: Day | None = None,
    registered_to: Day | None = None,
) -> RegistrationSummaryOut:
    if registered_from and registered_to and registered_from > registered_to:
        raise HTTPException(
            422,
            detail={
                "detail": "invalid request: registered_from: is after registered_to",
                "errors": [{"field": "registered_from", "reason": "is after registered_to", "type": "value_error"}],
            },
        )
    if who.role is Role.CASEWORKER:
        if partner_organisation not in (None, who.organisation):
            raise HTTPException(403, detail="caseworkers see only their organisation's figures")
        partner_organisation = who.organisation
    result = queries.registration_summary(
        db,
        queries.PeopleFilter(region.value if region else None, partner_organisation, registered_from, registered_to),
    )
    if who.role in EXACT:
        return RegistrationSummaryOut(total=result.total, by_sex=dict(result.by_sex), by_region=dict(result.by_region))
    return RegistrationSummaryOut(
        total=suppressed(result.total), by_sex=hidden_small(result.by_sex), by_region=hidden_small(result.by_region)
    )
