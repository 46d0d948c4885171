"""A person's journey: one page with their path across the programme in time order (registration,
legal status, assessments, referrals and their answers, courses, venture, placement, retention
calls), composed from each service's API by the person's pseudonymous id, with the signed-in
person's token. What their role or organisation may not see is simply absent: a service that
answers 403 or 404 adds nothing, and the page says which services could not be asked."""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..app import render, web_of
from ..i18n import N_
from ..services import ServiceError
from .auth import Staff
from .common import call

router = APIRouter()


@dataclass(frozen=True)
class Step:
    """One thing that happened: when, in which service, what (a text to translate and its values,
    each value a code shown with its label when `labels` names the kind), and where to see it."""

    on: str
    service: str
    text: str
    values: dict[str, Any]
    labels: dict[str, str]
    href: str | None = None


async def ask(request: Request, me, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """The answer, None when this person may not see it (or the service is not deployed), or the
    string "unavailable" when the service does not answer."""
    if not web_of(request).services.configured(service):
        return None
    try:
        return await call(request, me, service, "GET", path, params=params)
    except ServiceError as exc:
        if exc.status in (403, 404, 422):
            return None
        return "unavailable"


def intake_steps(file: dict[str, Any], person: str) -> list[Step]:
    steps = [Step(file["person"]["registered_on"], "intake", N_("Registered by %(organisation)s"),
                  {"organisation": file["person"]["partner_organisation"]}, {}, f"/people/{person}")]  # fmt: skip
    for entry in file["legal_status"]:
        if entry.get("reason"):
            steps.append(Step(entry["effective_on"], "intake", N_("Legal status: %(status)s"),
                              {"status": entry["legal_status"]}, {"status": "legal_status"}))  # fmt: skip
    for assessment in file["assessments"]:
        steps.append(
            Step(assessment["assessed_on"], "intake", N_("Skills assessed"), {}, {}, f"/people/{person}#assessments")
        )
    for referral in file["referrals"]:
        to = referral.get("service") or referral.get("organisation") or ""
        steps.append(Step(referral["made_on"], "intake", N_("Referred to %(to)s for %(reason)s"),
                          {"to": to, "reason": referral["reason"]}, {"to": "service", "reason": "reason"},
                          f"/people/{person}#referrals"))  # fmt: skip
        if referral.get("status_changed_on") and referral["status"] != "pending":
            steps.append(Step(referral["status_changed_on"], referral.get("service") or "intake",
                              N_("Referral to %(to)s: %(status)s"), {"to": to, "status": referral["status"]},
                              {"to": "service", "status": "referral_status"}))  # fmt: skip
    return steps


def training_steps(enrolments: list[dict[str, Any]]) -> list[Step]:
    steps = []
    for e in enrolments:
        href = f"/training/cohorts/{e['cohort_id']}"
        values = {"course": e["course_title"], "cohort": e["cohort_label"]}
        if e.get("enrolled_on"):
            steps.append(
                Step(e["enrolled_on"], "training", N_("Enrolled in %(course)s (%(cohort)s)"), values, {}, href)
            )
        if e.get("completed_on"):
            text = (
                N_("Completed %(course)s, certificate %(number)s")
                if e.get("certificate_number")
                else N_("Completed %(course)s")
            )
            steps.append(
                Step(e["completed_on"], "training", text, {**values, "number": e.get("certificate_number")}, {}, href)
            )
        if e.get("dropped_on"):
            steps.append(Step(e["dropped_on"], "training", N_("Left %(course)s: %(reason)s"),
                              {**values, "reason": e.get("dropout_reason")}, {"reason": "dropout_reason"}, href))  # fmt: skip
    return steps


def enterprise_steps(ventures: list[dict[str, Any]]) -> list[Step]:
    steps = []
    for v in ventures:
        href = f"/enterprise/ventures/{v['venture_id']}"
        steps.append(
            Step(v["applied_on"], "enterprise", N_("Applied with the venture %(name)s"), {"name": v["name"]}, {}, href)
        )
        if v["stage"] != "application":
            steps.append(Step(v["stage_changed_on"], "enterprise", N_("Venture %(name)s: %(stage)s"),
                              {"name": v["name"], "stage": v["stage"]}, {"stage": "venture_stage"}, href))  # fmt: skip
    return steps


def employment_steps(placements: list[dict[str, Any]]) -> list[Step]:
    steps = []
    for p in placements:
        href = f"/employment/offers/{p['offer_id']}"
        values = {"title": p["offer_title"], "employer": p["employer_name"]}
        steps.append(Step(p["starts_on"], "employment", N_("Started as %(title)s at %(employer)s"), values, {}, href))
        for check in p["retention_checks"]:
            if check.get("checked_on"):
                steps.append(Step(check["checked_on"], "employment", N_("%(months)s-month call: %(outcome)s"),
                                  {"months": check["months_after_start"], "outcome": check["outcome"]},
                                  {"outcome": "retention_outcome"}, "/employment/placements"))  # fmt: skip
        if p.get("left_on"):
            steps.append(Step(p["left_on"], "employment", N_("Left %(title)s at %(employer)s"), values, {}, href))
    return steps


def path_of(person: str, file: Any, enrolments: Any, ventures: Any, placements: Any) -> list[Step]:
    """Every step the answers show, oldest first (on one day: intake, then the partners); None for
    a service that showed nothing."""
    steps: list[Step] = []
    if file:
        steps += intake_steps(file, person)
    if enrolments:
        steps += training_steps(enrolments)
    if ventures:
        steps += enterprise_steps(ventures["items"])
    if placements:
        steps += employment_steps(placements["items"])
    return sorted(steps, key=lambda s: s.on)


@router.get("/people/{person_id}/journey", include_in_schema=False)
async def journey(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    person = str(person_id)
    file, enrolments, ventures, placements = await asyncio.gather(
        ask(request, me, "intake", f"/v1/beneficiaries/{person}/case-file"),
        ask(request, me, "training", f"/v1/beneficiaries/{person}/enrolments"),
        ask(request, me, "enterprise", "/v1/ventures", {"member": person, "limit": 50}),
        ask(request, me, "employment", "/v1/placements", {"beneficiary_id": person, "limit": 50}),
    )
    answers = {"intake": file, "training": enrolments, "enterprise": ventures, "employment": placements}
    unavailable = [name for name, answer in answers.items() if answer == "unavailable"]
    steps = path_of(person, *(a if a != "unavailable" else None for a in answers.values()))
    name = f"{file['person']['given_name']} {file['person']['family_name']}" if isinstance(file, dict) else None
    return render(
        request,
        "journey.html",
        {"person_id": person, "name": name, "steps": steps, "unavailable": unavailable},
    )
