"""Employment's screens: employers and their offers, the candidates ranked for an offer with the
reasons of the ranking (said in the person's language), applications through interview to a hire,
placements, the retention calls due this week as a call list, job fairs, and the referrals to
employment.

Employment knows people by their pseudonymous id; their names come from intake, for whom intake
shows them to (`common.names_of`)."""

import asyncio
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..app import field_errors, form_of, gettext_for, render
from ..i18n import N_
from ..labels import LABELS
from ..services import ServiceError
from . import forms
from .auth import Staff
from .common import attempt, call, listing, names_of, problem

router = APIRouter()
EMPLOYMENT = "employment"
REJECTIONS = ("skills", "language", "experience", "documents", "position_filled", "no_show", "other")

# The ranking's reasons (employment's matching module, `WHY`), as people read them; the values
# named by code (regions, levels, kinds, sectors) are shown with their labels.
MATCH_REASONS = {
    "offer_names_no_occupation": N_("the offer names no occupation"),
    "no_experience_near": N_("no experience near ISCO %(isco)s"),
    "experience": N_("%(years)s years as ISCO %(code)s (offer: %(isco)s)"),
    "offer_lists_no_skills": N_("the offer lists no skills"),
    "skills_all": N_("has %(count)s of %(total)s skills (%(found)s)"),
    "skills_some": N_("has %(count)s of %(total)s skills (%(found)s); lacks %(missing)s"),
    "skills_none": N_("has %(count)s of %(total)s skills; lacks %(missing)s"),
    "offer_asks_no_language": N_("the offer asks for no language"),
    "languages_all": N_("speaks %(met)s"),
    "languages_some": N_("speaks %(met)s; not %(unmet)s"),
    "languages_none": N_("speaks none of the languages asked (%(unmet)s)"),
    "offer_asks_no_education": N_("the offer asks for no education level"),
    "education_unknown": N_("education unknown (offer: %(asked)s)"),
    "education": N_("%(has)s (offer: %(asked)s)"),
    "region_unknown": N_("region unknown"),
    "same_region": N_("lives in %(region)s"),
    "other_region": N_("lives in %(region)s, the job is in %(job_region)s"),
    "no_course": N_("no completed course"),
    "course_in_sector": N_("completed a course (%(kind)s) in %(sector)s"),
    "course_in_sector_certified": N_("completed a course (%(kind)s) in %(sector)s, with a certificate"),
    "course": N_("completed a course (%(kind)s)"),
    "course_certified": N_("completed a course (%(kind)s), with a certificate"),
    "placed": N_("holds a placement now"),
    "available": N_("available"),
}
VALUE_LABELS = {
    "region": "region",
    "job_region": "region",
    "has": "education_level",
    "asked": "education_level",
    "kind": "course_kind",
    "sector": "sector",
}


def explained(request: Request, part: dict[str, Any]) -> str:
    """A ranking factor's reason in the person's language (the service's English when unknown)."""
    gettext = gettext_for(request)
    text = MATCH_REASONS.get(part.get("reason", ""))
    if text is None:
        return str(part.get("why", ""))
    values = {
        name: gettext(LABELS[VALUE_LABELS[name]].get(value, value)) if name in VALUE_LABELS else value
        for name, value in (part.get("values") or {}).items()
    }
    try:
        return gettext(text, **values)
    except (KeyError, ValueError):
        return str(part.get("why", ""))


async def employment(request: Request, me, method: str, path: str, **kwargs: Any) -> Any:
    return await call(request, me, EMPLOYMENT, method, path, **kwargs)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# -- offers (the section's start) ---------------------------------------------------------------


@router.get("/employment", include_in_schema=False)
async def offers(request: Request, me: Staff) -> Response:
    q = request.query_params
    filters = {"status": q.get("status") or "open", "kind": q.get("kind") or None, "region": q.get("region") or None}
    found = await listing(request, me, EMPLOYMENT, "/v1/offers", filters)
    return render(request, "employment/offers.html", {**found, "offers": found["items"]})


# -- employers ----------------------------------------------------------------------------------


EMPLOYER_FIELDS = ("name", "type", "ownership", "sector", "region", "city", "csr_details", "contact_name")


async def employers_page(request: Request, me, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    q = request.query_params
    filters = {
        "q": (q.get("q") or "").strip() or None,
        "type": q.get("type") or None,
        "region": q.get("region") or None,
    }
    found = await listing(request, me, EMPLOYMENT, "/v1/employers", filters)
    return render(
        request,
        "employment/employers.html",
        {**found, "employers": found["items"], "values": values, "errors": errors or found["errors"]},
        status,
    )


@router.get("/employment/employers", include_in_schema=False)
async def employers(request: Request, me: Staff) -> Response:
    return await employers_page(request, me, {}, {})


@router.post("/employment/employers", include_in_schema=False)
async def add_employer(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    body: dict[str, Any] = {k: forms.text(form, k) for k in EMPLOYER_FIELDS if forms.text(form, k)}
    body["csr_commitment"] = bool(form.get("csr_commitment"))
    for name in ("contact_phone", "contact_email"):
        if forms.text(form, name):
            body[name] = forms.text(form, name)
    try:
        made = await employment(request, me, "POST", "/v1/employers", json=body)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        return await employers_page(request, me, form, errors, 422)
    me.flash("success", N_("%(name)s is recorded."), name=made["name"])
    return back(f"/employment/employers/{made['employer_id']}")


async def employer_page(
    request: Request, me, employer_id: uuid.UUID, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    employer, its_offers = await asyncio.gather(
        employment(request, me, "GET", f"/v1/employers/{employer_id}"),
        employment(request, me, "GET", "/v1/offers", params={"employer_id": str(employer_id), "limit": 100}),
    )
    return render(
        request,
        "employment/employer.html",
        {"employer": employer, "offers": its_offers["items"], "values": values, "errors": errors},
        status,
    )


@router.get("/employment/employers/{employer_id}", include_in_schema=False)
async def employer(request: Request, employer_id: uuid.UUID, me: Staff) -> Response:
    today = date.today().isoformat()
    defaults = {"positions": 1, "hours_per_week": 44, "opens_on": today, "kind": "job", "contract_type": "fixed_term"}
    return await employer_page(request, me, employer_id, defaults, {})


@router.post("/employment/employers/{employer_id}/offers", include_in_schema=False)
async def publish(request: Request, employer_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    names = (
        "title",
        "kind",
        "isco08",
        "education_level",
        "city",
        "contract_type",
        "wage_band",
        "opens_on",
        "closes_on",
        "starts_on",
        "description",
    )
    body: dict[str, Any] = {k: forms.text(form, k) for k in names if forms.text(form, k)}
    body["positions"] = forms.number(form, "positions")
    if forms.text(form, "hours_per_week"):
        body["hours_per_week"] = forms.number(form, "hours_per_week")
    body["skills"] = [s.strip() for s in (forms.text(form, "skills") or "").split(",") if s.strip()]
    body["languages"] = [{"code": code.strip().lower()} for code in (forms.text(form, "languages") or "").split(",")
                         if code.strip()]  # fmt: skip
    try:
        offer = await employment(request, me, "POST", f"/v1/employers/{employer_id}/offers", json=body)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        return await employer_page(request, me, employer_id, form, errors, 422)
    me.flash("success", N_("The offer %(title)s is published."), title=offer["title"])
    return back(f"/employment/offers/{offer['offer_id']}")


# -- an offer: ranked candidates, applications, hires -------------------------------------------


@router.get("/employment/offers/{offer_id}", include_in_schema=False)
async def offer(request: Request, offer_id: uuid.UUID, me: Staff) -> Response:
    base = f"/v1/offers/{offer_id}"
    found, ranked, applications, fairs_held = await asyncio.gather(
        employment(request, me, "GET", base),
        employment(request, me, "GET", f"{base}/matches", params={"limit": 20}),
        employment(request, me, "GET", f"{base}/applications", params={"limit": 100}),
        employment(request, me, "GET", "/v1/job-fairs", params={"limit": 20}),
    )
    ids = [m["beneficiary_id"] for m in ranked["items"]] + [a["beneficiary_id"] for a in applications["items"]]
    names = await names_of(request, me, ids)
    for match in ranked["items"]:
        for part in match["explanation"]:
            part["said"] = explained(request, part)
    return render(
        request,
        "employment/offer.html",
        {
            "offer": found,
            "ranked": ranked["items"],
            "ranked_total": ranked["total"],
            "applications": applications["items"],
            "names": names,
            "rejections": REJECTIONS,
            "today": date.today().isoformat(),
            "fairs": [f for f in fairs_held["items"] if not f["closed_on"]],
        },
    )


@router.post("/employment/offers/{offer_id}/applications", include_in_schema=False)
async def shortlist(request: Request, offer_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    names = ("beneficiary_id", "shortlisted_on", "job_fair_id")  # met at a fair: the fair's day by default
    body = {k: forms.text(form, k) for k in names if forms.text(form, k)}
    await attempt(
        request,
        me,
        EMPLOYMENT,
        N_("Shortlisted; intake is told the referral is accepted."),
        N_("Not shortlisted: %(reason)s"),
        "POST",
        f"/v1/offers/{offer_id}/applications",
        json=body,
    )
    return back(f"/employment/offers/{offer_id}#applications")


@router.post("/employment/applications/{application_id}/{action}", include_in_schema=False)
async def application_action(request: Request, application_id: uuid.UUID, action: str, me: Staff) -> Response:
    form = await form_of(request)
    offer_id = uuid.UUID(forms.text(form, "offer_id") or "")
    if action == "step":
        body = {k: forms.text(form, k) for k in ("to", "on", "reason", "note") if forms.text(form, k)}
        await attempt(
            request,
            me,
            EMPLOYMENT,
            N_("The application has moved on."),
            N_("Not recorded: %(reason)s"),
            "POST",
            f"/v1/applications/{application_id}/steps",
            json=body,
        )
    elif action == "hire":
        names = ("contract_type", "starts_on", "hired_on", "wage_band")
        body = {k: forms.text(form, k) for k in names if forms.text(form, k)}
        body["hours_per_week"] = forms.number(form, "hours_per_week")
        await attempt(
            request,
            me,
            EMPLOYMENT,
            N_("Hired: the placement and its retention calls are recorded."),
            N_("Not hired: %(reason)s"),
            "POST",
            f"/v1/applications/{application_id}/hire",
            json=body,
        )
    else:
        return Response(status_code=404)
    return back(f"/employment/offers/{offer_id}#applications")


# -- placements and the retention calls -----------------------------------------------------------


@router.get("/employment/placements", include_in_schema=False)
async def placements(request: Request, me: Staff) -> Response:
    found = await listing(request, me, EMPLOYMENT, "/v1/placements", {})
    names = await names_of(request, me, [p["beneficiary_id"] for p in found["items"]])
    return render(request, "employment/placements.html", {**found, "placements": found["items"], "names": names})


@router.get("/employment/calls", include_in_schema=False)
async def calls(request: Request, me: Staff) -> Response:
    """The retention calls due this week (and the late ones), as a list a counsellor works through."""
    within = request.query_params.get("within_days") or "7"
    found = await listing(request, me, EMPLOYMENT, "/v1/retention-checks/due", {"within_days": within})
    names = await names_of(request, me, [c["beneficiary_id"] for c in found["items"]])
    return render(
        request,
        "employment/calls.html",
        {**found, "calls": found["items"], "names": names, "today": date.today().isoformat()},
    )


@router.post("/employment/placements/{placement_id}/retention/{months}", include_in_schema=False)
async def record_call(request: Request, placement_id: uuid.UUID, months: int, me: Staff) -> Response:
    form = await form_of(request)
    body = {
        k: forms.text(form, k)
        for k in ("checked_on", "outcome", "left_reason", "left_on", "note")
        if forms.text(form, k)
    }
    if body.get("outcome") != "left":  # the leaving fields are for a person who left
        body.pop("left_reason", None)
        body.pop("left_on", None)
    await attempt(
        request,
        me,
        EMPLOYMENT,
        N_("The retention call is recorded."),
        N_("The retention call was not recorded: %(reason)s"),
        "PUT",
        f"/v1/placements/{placement_id}/retention/{months}",
        json=body,
    )
    return back("/employment/calls")


# -- job fairs ----------------------------------------------------------------------------------


@router.get("/employment/fairs", include_in_schema=False)
async def fairs(request: Request, me: Staff) -> Response:
    found = await listing(request, me, EMPLOYMENT, "/v1/job-fairs", {})
    return render(request, "employment/fairs.html", {**found, "fairs": found["items"], "values": {}})


@router.post("/employment/fairs", include_in_schema=False)
async def plan_fair(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    body = {k: forms.text(form, k) for k in ("name", "held_on", "region", "city", "venue") if forms.text(form, k)}
    made = await attempt(
        request,
        me,
        EMPLOYMENT,
        N_("The job fair is planned."),
        N_("The job fair was not planned: %(reason)s"),
        "POST",
        "/v1/job-fairs",
        json=body,
    )
    return back(f"/employment/fairs/{made['fair_id']}" if made else "/employment/fairs")


@router.get("/employment/fairs/{fair_id}", include_in_schema=False)
async def fair(request: Request, fair_id: uuid.UUID, me: Staff) -> Response:
    found, its_employers, pool = await asyncio.gather(
        employment(request, me, "GET", f"/v1/job-fairs/{fair_id}"),
        employment(request, me, "GET", "/v1/employers", params={"region": None, "limit": 200}),
        employment(request, me, "GET", "/v1/candidates", params={"status": "pending", "limit": 200}),
    )
    names = await names_of(request, me, [c["beneficiary_id"] for c in pool["items"]])
    return render(
        request,
        "employment/fair.html",
        {"fair": found, "employers": its_employers["items"], "pool": pool["items"], "names": names},
    )


@router.post("/employment/fairs/{fair_id}/{action}", include_in_schema=False)
async def fair_action(request: Request, fair_id: uuid.UUID, action: str, me: Staff) -> Response:
    form = await form_of(request)
    if action == "attendance":
        body: dict[str, Any] = {"employers": forms.many(form, "employers"), "attendees": forms.many(form, "attendees")}
        if forms.text(form, "other_attendees"):
            body["other_attendees"] = forms.number(form, "other_attendees")
        await attempt(
            request,
            me,
            EMPLOYMENT,
            N_("The fair's attendance is recorded."),
            N_("Not recorded: %(reason)s"),
            "POST",
            f"/v1/job-fairs/{fair_id}/attendance",
            json=body,
        )
    elif action == "close":
        await attempt(
            request,
            me,
            EMPLOYMENT,
            N_("The fair is closed and its figures published."),
            N_("Not closed: %(reason)s"),
            "POST",
            f"/v1/job-fairs/{fair_id}/close",
        )
    else:
        return Response(status_code=404)
    return back(f"/employment/fairs/{fair_id}")


# -- referrals to employment --------------------------------------------------------------------


@router.get("/employment/candidates", include_in_schema=False)
async def candidates(request: Request, me: Staff) -> Response:
    q = request.query_params
    filters = {"status": q.get("status") or "pending", "region": q.get("region") or None}
    found = await listing(request, me, EMPLOYMENT, "/v1/candidates", filters)
    names = await names_of(request, me, [c["beneficiary_id"] for c in found["items"]])
    return render(request, "employment/candidates.html", {**found, "candidates": found["items"], "names": names})


@router.post("/employment/candidates/{referral_id}/decline", include_in_schema=False)
async def decline(request: Request, referral_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    await attempt(
        request,
        me,
        EMPLOYMENT,
        N_("The referral is declined; intake is told."),
        N_("Not declined: %(reason)s"),
        "POST",
        f"/v1/candidates/{referral_id}/decline",
        json={"note": forms.text(form, "note")},
    )
    return back("/employment/candidates")
