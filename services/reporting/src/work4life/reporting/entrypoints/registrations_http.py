"""Reporting's HTTP API."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from work4life.contracts.intake import Region
from work4life.runtime.api import SessionDep
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.strict import Day

from ..service_layer import queries


class RegistrationSummaryOut(BaseModel):
    total: int
    by_sex: dict[str, int]
    by_region: dict[str, int]


router = APIRouter(prefix="/v1", tags=["registrations"])


@router.get(
    "/registrations/summary",
    response_model=RegistrationSummaryOut,
    summary="Registered people: total, by sex and by region",
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
    return RegistrationSummaryOut(total=result.total, by_sex=result.by_sex, by_region=result.by_region)
