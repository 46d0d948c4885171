"""Intake's HTTP API (caseworkers' registration screens and imports call it).

Every route needs a bearer token (see work4life.runtime.auth). Caseworkers see and change only
their organisation's people; programme managers and admins see everyone. Every read of personal
data is written to the audit log.
"""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from work4life.contracts.intake import (
    ConsentPurpose,
    EducationLevel,
    LegalStatus,
    LegalStatusChangeReason,
    Region,
    Sex,
)
from work4life.runtime.api import Page, SessionDep, Staff
from work4life.runtime.auth import Principal, Role, require
from work4life.runtime.errors import Conflict
from work4life.runtime.http import refused, validation_errors
from work4life.runtime.strict import Day, Flag, Whole

from ..adapters.orm import Beneficiary, RecordStatus
from ..domain.model import (
    BeneficiaryBase,
    BeneficiaryFields,
    ConsentRequest,
    DocumentType,
    LanguageSkill,
    normalise_document_number,
)
from ..service_layer import audit, duplicates, handlers
from . import WorkDep


class BeneficiaryCreate(BeneficiaryBase):
    partner_organisation: str | None = None  # type: ignore[assignment]  # left out: the caller's own organisation
    registered_on: Day | None = Field(
        default=None,
        description="The day the person was registered, when it is entered later (a paper form, a tablet that "
        "was offline): not in the future, within the programme's dates. Default: today.",
    )
    consents: list[ConsentRequest] = Field(
        default_factory=list, description="Consents given at registration; service_delivery is required."
    )


class ConsentPublic(BaseModel):
    consent_id: UUID
    purpose: ConsentPurpose
    organisation: str | None
    notice_version: str
    given_on: date
    recorded_by: str
    withdrawn_on: date | None
    withdrawn_by: str | None
    active: bool


class BeneficiaryUpdate(BaseModel):
    """Fields to change; `null` clears an optional field. Legal status changes go through
    `POST /v1/beneficiaries/{id}/legal-status`, which keeps the timeline."""

    model_config = ConfigDict(extra="forbid")

    given_name: str | None = None
    family_name: str | None = None
    given_name_ar: str | None = None
    family_name_ar: str | None = None
    sex: Sex | None = None
    date_of_birth: Day | None = None
    nationality: str | None = None
    document_type: DocumentType | None = None
    document_number: str | None = None
    document_expiry: Day | None = None
    disability: Flag | None = None
    household_size: Whole | None = None
    region: Region | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    languages: list[LanguageSkill | str] | None = None
    education_level: EducationLevel | None = None


class BeneficiaryPublic(BeneficiaryFields):
    beneficiary_id: UUID
    registered_on: date
    status: RecordStatus
    merged_into: UUID | None = None


class LegalStatusChange(BaseModel):
    legal_status: LegalStatus
    effective_on: Day
    reason: LegalStatusChangeReason
    document_type: DocumentType | None = None
    document_number: str | None = Field(default=None, max_length=50)
    document_expiry: Day | None = None
    note: str | None = Field(default=None, max_length=500)


class LegalStatusEntry(BaseModel):
    legal_status: LegalStatus
    effective_on: date
    reason: LegalStatusChangeReason | None = Field(description="null: the status recorded at registration")
    document_type: DocumentType | None
    document_number: str | None
    document_expiry: date | None
    note: str | None
    recorded_by: str


class PossibleDuplicate(BaseModel):
    beneficiary_id: UUID
    partner_organisation: str
    score: float
    reasons: list[str]


class RegisteredBeneficiary(BeneficiaryPublic):
    possible_duplicates: list[PossibleDuplicate] = Field(
        default_factory=list, description="Registrations that may be this same person; they are in the review queue."
    )


BeneficiaryPage = Page[BeneficiaryPublic]


class AuditEntryPublic(BaseModel):
    at: str
    subject: str
    role: str
    organisation: str
    action: str
    beneficiary_id: UUID


AuditPage = Page[AuditEntryPublic]


def registered_out(beneficiary: Beneficiary, flagged: list[tuple[Beneficiary, Any]]) -> RegisteredBeneficiary:
    return RegisteredBeneficiary.model_validate(
        {
            **BeneficiaryPublic.model_validate(beneficiary, from_attributes=True).model_dump(),
            "possible_duplicates": [
                PossibleDuplicate(
                    beneficiary_id=other.beneficiary_id,
                    partner_organisation=other.partner_organisation,
                    score=match.score,
                    reasons=match.reasons,
                )
                for other, match in flagged
            ],
        }
    )


def invalid(exc: ValidationError) -> HTTPException:
    errors = validation_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return HTTPException(status_code=422, detail={"detail": f"invalid request: {summary}", "errors": errors})


def not_found(beneficiary_id: UUID) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no beneficiary with id {beneficiary_id}")


def visible(beneficiary: Beneficiary | None, who: Principal, beneficiary_id: UUID) -> Beneficiary:
    """The record if the caller may see it; a 404 otherwise (not a 403: existence is not disclosed)."""
    if beneficiary is None or not who.may_see(beneficiary.partner_organisation):
        raise not_found(beneficiary_id)
    return beneficiary


def changeable(beneficiary: Beneficiary | None, who: Principal, beneficiary_id: UUID) -> Beneficiary:
    beneficiary = visible(beneficiary, who, beneficiary_id)
    if beneficiary.status is not RecordStatus.ACTIVE:
        raise Conflict(
            f"beneficiary {beneficiary_id} is {beneficiary.status.value} and can no longer change",
            code="record_closed",
            values={"status": beneficiary.status},
        )
    return beneficiary


router = APIRouter(prefix="/v1", tags=["beneficiaries"])


@router.post(
    "/beneficiaries",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredBeneficiary,
    summary="Register a beneficiary (possible duplicates are flagged in the response and queued for review)",
    description="With an `Idempotency-Key` header (the staff application makes one on the device for each "
    "registration, so that one taken offline is sent exactly once), a repeated request answers 200 with the "
    "person the first one created, and the header `Idempotent-Replayed: true`: no second person, no second "
    "event.",
    responses={
        200: {"description": "The key was already used: the person that registration created"},
        409: {"description": "The key was used for a registration the caller may not see"},
        422: {"description": "A field is missing or invalid; the body names it and says why"},
    },
)
def register(
    uow: WorkDep,
    body: BeneficiaryCreate,
    response: Response,
    db: SessionDep,
    who: Staff,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=r"^[\x21-\x7e]{8,100}$",
            description="A key made by the client for this registration (8 to 100 printable ASCII characters, "
            "e.g. a UUID); the same key is never registered twice.",
        ),
    ] = None,
) -> RegisteredBeneficiary:
    organisation = body.partner_organisation or who.organisation
    if not who.may_see(organisation):
        raise HTTPException(403, detail=f"a caseworker of {who.organisation} cannot register people for {organisation}")
    details = BeneficiaryBase.model_validate(
        {**body.model_dump(exclude={"consents", "registered_on"}), "partner_organisation": organisation}
    )
    command = handlers.RegisterBeneficiary(details, body.consents, idempotency_key, registered_on=body.registered_on)
    try:
        beneficiary = handlers.register_beneficiary(uow, command)
    except handlers.AlreadyRegistered as repeat:
        if not who.may_see(repeat.beneficiary.partner_organisation):
            raise Conflict(
                "this Idempotency-Key was already used for another registration: make a new one", code="key_reused"
            ) from repeat
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
        audit.record(db, who, "read", [repeat.beneficiary.beneficiary_id])
        db.commit()
        return registered_out(repeat.beneficiary, duplicates.candidates_for(db, repeat.beneficiary))
    return registered_out(beneficiary, duplicates.flag_at_registration(db, beneficiary))


@router.get("/beneficiaries", response_model=BeneficiaryPage, summary="List beneficiaries (paginated, filterable)")
def list_(
    db: SessionDep,
    who: Staff,
    region: Region | None = None,
    partner_organisation: str | None = None,
    legal_status: LegalStatus | None = None,
    registered_from: Day | None = None,
    registered_to: Day | None = None,
    status: RecordStatus | None = Query(default=RecordStatus.ACTIVE, description="active, merged or erased"),
    name: Annotated[str | None, Query(min_length=2, max_length=100, description="part of a name, any script")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> BeneficiaryPage:
    if not who.sees_every_organisation:
        if partner_organisation not in (None, who.organisation):
            raise HTTPException(403, detail="caseworkers see only their organisation's people")
        partner_organisation = who.organisation
    if registered_from and registered_to and registered_from > registered_to:
        raise refused("registered_from", "is after registered_to")
    filters = handlers.BeneficiaryFilter(
        region, partner_organisation, legal_status, registered_from, registered_to, status, name
    )
    items, total = handlers.list_beneficiaries(db, filters, limit, offset)
    audit.record(db, who, "list", [b.beneficiary_id for b in items])
    db.commit()
    return BeneficiaryPage(
        items=[BeneficiaryPublic.model_validate(b, from_attributes=True) for b in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/beneficiaries/{beneficiary_id}",
    response_model=BeneficiaryPublic,
    summary="One beneficiary",
    responses={404: {"description": "No beneficiary with this id that the caller may see"}},
)
def get(beneficiary_id: UUID, db: SessionDep, who: Staff) -> BeneficiaryPublic:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    audit.record(db, who, "read", [beneficiary.beneficiary_id])
    db.commit()
    return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)


@router.patch(
    "/beneficiaries/{beneficiary_id}",
    response_model=BeneficiaryPublic,
    summary="Change a beneficiary's details",
    responses={
        404: {"description": "Not found"},
        409: {"description": "Merged or erased"},
        422: {"description": "Invalid field"},
    },
)
def update(
    uow: WorkDep, beneficiary_id: UUID, body: BeneficiaryUpdate, db: SessionDep, who: Staff
) -> BeneficiaryPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    command = handlers.UpdateBeneficiary(beneficiary, body.model_dump(exclude_unset=True))
    try:
        beneficiary = handlers.update_beneficiary(uow, command)
    except ValidationError as exc:
        raise invalid(exc) from exc
    return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)


@router.post(
    "/beneficiaries/{beneficiary_id}/legal-status",
    response_model=LegalStatusEntry,
    status_code=status.HTTP_201_CREATED,
    summary="Record a legal-status change (status recognised, permit renewed or expired, ...)",
)
def change_legal_status(
    uow: WorkDep, beneficiary_id: UUID, body: LegalStatusChange, db: SessionDep, who: Staff
) -> LegalStatusEntry:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    try:
        document_number = normalise_document_number(body.document_number)
    except ValueError as exc:
        raise refused("document_number", str(exc)) from exc
    command = handlers.ChangeLegalStatus(
        beneficiary,
        body.legal_status,
        body.effective_on,
        body.reason,
        body.document_type,
        document_number,
        body.document_expiry,
        body.note,
    )
    record = handlers.change_legal_status(uow, command)
    return LegalStatusEntry.model_validate(record, from_attributes=True)


@router.get(
    "/beneficiaries/{beneficiary_id}/legal-status",
    response_model=list[LegalStatusEntry],
    summary="A beneficiary's legal-status timeline, oldest first",
)
def legal_status_history(beneficiary_id: UUID, db: SessionDep, who: Staff) -> list[LegalStatusEntry]:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    timeline = handlers.legal_status_timeline(db, beneficiary)
    audit.record(db, who, "read_legal_status", [beneficiary.beneficiary_id])
    db.commit()
    return [LegalStatusEntry.model_validate(r, from_attributes=True) for r in timeline]


@router.get(
    "/beneficiaries/{beneficiary_id}/consents",
    response_model=list[ConsentPublic],
    tags=["consent"],
    summary="A beneficiary's consents, given and withdrawn",
)
def consents(beneficiary_id: UUID, db: SessionDep, who: Staff) -> list[ConsentPublic]:
    beneficiary = visible(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    found = [ConsentPublic.model_validate(c, from_attributes=True) for c in handlers.consents_of(db, beneficiary)]
    audit.record(db, who, "read_consents", [beneficiary.beneficiary_id])
    db.commit()
    return found


@router.post(
    "/beneficiaries/{beneficiary_id}/consents",
    response_model=ConsentPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["consent"],
    summary="Record a consent (the notice was shown and the person agreed)",
    description="Purposes: `service_delivery` (registration needs it), `referral` (to the one organisation or "
    "service named in `organisation`; a referral there needs it), `statistics` (the person's pseudonymous record may "
    "go into reporting's research extract for studies; the indicators count everyone without it, ADR 23).",
    responses={409: {"description": "The same consent is already active"}},
)
def give_consent(uow: WorkDep, beneficiary_id: UUID, body: ConsentRequest, db: SessionDep, who: Staff) -> ConsentPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    consent = handlers.give_consent(uow, beneficiary, body)
    return ConsentPublic.model_validate(consent, from_attributes=True)


@router.post(
    "/beneficiaries/{beneficiary_id}/consents/{consent_id}/withdraw",
    response_model=ConsentPublic,
    tags=["consent"],
    summary="Withdraw a consent; services stop the matching processing",
    responses={404: {"description": "No such consent"}, 409: {"description": "Already withdrawn"}},
)
def withdraw_consent(uow: WorkDep, beneficiary_id: UUID, consent_id: UUID, db: SessionDep, who: Staff) -> ConsentPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    consent = handlers.withdraw_consent(uow, beneficiary, consent_id)
    if consent is None:
        raise HTTPException(404, detail=f"beneficiary {beneficiary_id} has no consent {consent_id}")
    return ConsentPublic.model_validate(consent, from_attributes=True)


@router.delete(
    "/beneficiaries/{beneficiary_id}",
    response_model=BeneficiaryPublic,
    summary="Erase a person's personal data at their request (programme managers, admins)",
    responses={404: {"description": "Not found"}, 409: {"description": "Already erased or merged"}},
)
def erase(
    uow: WorkDep,
    beneficiary_id: UUID,
    db: SessionDep,
    who: Annotated[Principal, Depends(require(Role.PROGRAMME_MANAGER, Role.ADMIN))],
) -> BeneficiaryPublic:
    beneficiary = changeable(handlers.get_beneficiary(db, beneficiary_id), who, beneficiary_id)
    beneficiary = handlers.erase_beneficiary(uow, beneficiary)
    return BeneficiaryPublic.model_validate(beneficiary, from_attributes=True)


@router.get("/audit", response_model=AuditPage, tags=["audit"], summary="Who accessed which record (admins)")
def audit_log(
    db: SessionDep,
    who: Annotated[Principal, Depends(require(Role.ADMIN))],
    beneficiary_id: UUID | None = None,
    subject: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    items, total = audit.entries(db, audit.AuditFilter(beneficiary_id, subject, action), limit, offset)
    return AuditPage(
        items=[
            AuditEntryPublic(
                at=e.at.isoformat(),
                subject=e.subject,
                role=e.role,
                organisation=e.organisation,
                action=e.action,
                beneficiary_id=e.beneficiary_id,
            )
            for e in items
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
