"""A person's case file in one read: what a caseworker's screen shows of a person (the record, the
legal-status timeline, consents, assessments, referrals and possible duplicates), read in one
transaction and audited once, instead of six requests and their audit entries."""

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from work4life.runtime.api import SessionDep, Staff

from ..service_layer import audit, duplicates, handlers, orientation
from .duplicates_http import DuplicateHint, hint
from .http import BeneficiaryPublic, ConsentPublic, LegalStatusEntry, visible
from .orientation_http import AssessmentPublic, ReferralPublic, referral_out

REFERRALS_SHOWN = 100


class CaseFile(BaseModel):
    person: BeneficiaryPublic
    legal_status: list[LegalStatusEntry]
    consents: list[ConsentPublic]
    assessments: list[AssessmentPublic]
    referrals: list[ReferralPublic]
    referrals_total: int
    possible_duplicates: list[DuplicateHint]


router = APIRouter(prefix="/v1")


@router.get(
    "/beneficiaries/{beneficiary_id}/case-file",
    response_model=CaseFile,
    summary="A person's case file: record, legal status, consents, assessments, referrals, possible duplicates",
    description=f"The newest {REFERRALS_SHOWN} referrals (`referrals_total` counts them all; "
    "`GET /v1/referrals?beneficiary_id=` pages through them). One audit entry (`read_case_file`).",
    responses={404: {"description": "No beneficiary with this id that the caller may see"}},
)
def case_file(beneficiary_id: UUID, db: SessionDep, who: Staff) -> CaseFile:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    referrals, total = orientation.referrals(
        db,
        beneficiary=beneficiary,
        status=None,
        service=None,
        organisation=None,
        partner_organisation=None if who.sees_every_organisation else who.organisation,
        limit=REFERRALS_SHOWN,
        offset=0,
    )
    found = CaseFile(
        person=BeneficiaryPublic.model_validate(beneficiary, from_attributes=True),
        legal_status=[
            LegalStatusEntry.model_validate(r, from_attributes=True)
            for r in handlers.legal_status_timeline(db, beneficiary)
        ],
        consents=[ConsentPublic.model_validate(c, from_attributes=True) for c in handlers.consents_of(db, beneficiary)],
        assessments=[
            AssessmentPublic.model_validate(a, from_attributes=True)
            for a in orientation.assessments_of(db, beneficiary)
        ],
        referrals=[referral_out(r, b) for r, b in referrals],
        referrals_total=total,
        possible_duplicates=[hint(other, match) for other, match in duplicates.candidates_for(db, beneficiary)],
    )
    audit.record(db, who, "read_case_file", [beneficiary.beneficiary_id])
    db.commit()
    return found
