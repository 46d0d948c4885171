"""Intake's screens: people (search, a person's page), registration with consent, assessment,
referral, erasure, the duplicates review, outreach sessions and the spreadsheet import."""

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ..app import field_errors, form_of, gettext_for, render, web_of
from ..i18n import N_, REASONS
from ..services import ServiceError
from . import forms
from .auth import Staff
from .common import page_number, paging, problem

router = APIRouter()
INTAKE = "intake"


async def call(request: Request, me, method: str, path: str, **kwargs: Any) -> Any:
    return await web_of(request).services.call(
        INTAKE, method, path, me.token, correlation_id=request.headers.get("x-correlation-id"), **kwargs
    )


# -- people ------------------------------------------------------------------------------------


@router.get("/people", include_in_schema=False)
async def people(request: Request, me: Staff) -> Response:
    q = request.query_params
    page = page_number(request)
    size = web_of(request).settings.page_size
    filters = {
        "name": (q.get("name") or "").strip() or None,
        "region": q.get("region") or None,
        "legal_status": q.get("legal_status") or None,
        "status": q.get("status") or "active",
        "partner_organisation": q.get("partner_organisation") or None,
        "registered_from": q.get("registered_from") or None,
        "registered_to": q.get("registered_to") or None,
    }
    errors: dict[str, str] = {}
    result: dict[str, Any] = {"items": [], "total": 0}
    if filters["name"] and len(filters["name"]) < 2:
        gettext = gettext_for(request)
        errors["name"] = gettext("type at least 2 letters")
    else:
        try:
            result = await call(
                request, me, "GET", "/v1/beneficiaries", params={**filters, "limit": size, "offset": (page - 1) * size}
            )
        except ServiceError as exc:
            if exc.status not in (400, 422):
                raise
            errors = field_errors(request, exc)
    return render(
        request,
        "people.html",
        {
            "people": result["items"],
            "filters": filters,
            "errors": errors,
            "paging": paging(request, result["total"], page),
            "organisation_options": {o: o for o in web_of(request).settings.organisations},
        },
    )


def registration_context(request: Request, me, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "registration_key": values.get("registration_key") or str(uuid.uuid4()),
        "notice_version": web_of(request).settings.consent_notice_version,
        "organisations": web_of(request).settings.organisations,
    }


@router.get("/people/new", include_in_schema=False)
async def new_person(request: Request, me: Staff) -> Response:
    return render(request, "register.html", registration_context(request, me, {"consent_service_delivery": "on"}, {}))


async def register(request: Request, me, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Register through intake, with the form's registration key as the idempotency key: the same
    form sent twice (a double tap, a lost answer, an offline queue sent again) makes one person."""
    body = forms.registration(form, web_of(request).settings.consent_notice_version)
    key = forms.text(form, "registration_key")
    headers = {"Idempotency-Key": key} if key else {}
    response = await call(request, me, "POST", "/v1/beneficiaries", json=body, headers=headers, raw=True)
    return response.status_code, response.json()


@router.post("/people", include_in_schema=False)
async def create_person(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    try:
        _status, person = await register(request, me, form)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        if not form.get("consent_service_delivery"):  # intake checks consents after the fields: say both at once
            errors.setdefault(
                "consents",
                gettext_for(request)(REASONS["consent to service delivery is required to register a person"]),
            )
        return render(request, "register.html", registration_context(request, me, form, errors), 422)
    me.flash("success", N_("%(name)s is registered."), name=f"{person['given_name']} {person['family_name']}")
    if person.get("possible_duplicates"):
        me.flash(
            "warning", N_("This registration may be a person already registered: see the possible duplicates below.")
        )
    return RedirectResponse(f"/people/{person['beneficiary_id']}?registered=1", status_code=303)


@router.get("/people/{person_id}", include_in_schema=False)
async def person_page(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    """One read of intake's case file (and, for admins, the record's audit trail beside it)."""
    reads = [call(request, me, "GET", f"/v1/beneficiaries/{person_id}/case-file")]
    if me.is_admin:
        reads.append(call(request, me, "GET", "/v1/audit", params={"beneficiary_id": str(person_id), "limit": 100}))
    answers = await asyncio.gather(*reads)
    file = answers[0]
    return render(
        request,
        "person.html",
        {
            "person": file["person"],
            "timeline": file["legal_status"],
            "consents": file["consents"],
            "assessments": file["assessments"],
            "referrals": file["referrals"],
            "referrals_total": file["referrals_total"],
            "duplicates": file["possible_duplicates"],
            "audit": answers[1]["items"] if me.is_admin else None,
            "notice_version": web_of(request).settings.consent_notice_version,
        },
    )


@router.post("/people/{person_id}/consents", include_in_schema=False)
async def give_consent(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    purpose = forms.text(form, "purpose")
    body = {"purpose": purpose, "notice_version": web_of(request).settings.consent_notice_version}
    if purpose == "referral":
        body["organisation"] = forms.text(form, "organisation")
    then = forms.text(form, "then")
    try:
        await call(request, me, "POST", f"/v1/beneficiaries/{person_id}/consents", json=body)
        me.flash("success", N_("The consent is recorded."))
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        me.flash(
            "error",
            N_("The consent was not recorded: %(reason)s"),
            reason="; ".join(field_errors(request, exc).values()),
        )
    if then == "referral":
        return RedirectResponse(
            f"/people/{person_id}/referral?target={body.get('organisation') or ''}", status_code=303
        )
    return RedirectResponse(f"/people/{person_id}#consents", status_code=303)


@router.post("/people/{person_id}/consents/{consent_id}/withdraw", include_in_schema=False)
async def withdraw_consent(request: Request, person_id: uuid.UUID, consent_id: uuid.UUID, me: Staff) -> Response:
    await form_of(request)
    await call(request, me, "POST", f"/v1/beneficiaries/{person_id}/consents/{consent_id}/withdraw")
    me.flash("success", N_("The consent is withdrawn; the partners concerned are told."))
    return RedirectResponse(f"/people/{person_id}#consents", status_code=303)


@router.post("/people/{person_id}/legal-status", include_in_schema=False)
async def change_legal_status(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = {k: forms.text(form, k) for k in ("legal_status", "effective_on", "reason", "note")}
    try:
        await call(
            request,
            me,
            "POST",
            f"/v1/beneficiaries/{person_id}/legal-status",
            json={k: v for k, v in body.items() if v},
        )
        me.flash("success", N_("The legal status is updated."))
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        reason = "; ".join(field_errors(request, exc).values())
        me.flash("error", N_("The legal status was not changed: %(reason)s"), reason=reason)
    return RedirectResponse(f"/people/{person_id}#legal-status", status_code=303)


# -- assessment and referral --------------------------------------------------------------------


@router.get("/people/{person_id}/assessment", include_in_schema=False)
async def assessment_form(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    person = await call(request, me, "GET", f"/v1/beneficiaries/{person_id}")
    return render(request, "assessment.html", {"person": person, "values": {}, "errors": {}})


@router.post("/people/{person_id}/assessment", include_in_schema=False)
async def assess(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    try:
        await call(request, me, "POST", f"/v1/beneficiaries/{person_id}/assessments", json=forms.assessment(form))
    except ServiceError as exc:
        if exc.status != 422:
            raise
        person = await call(request, me, "GET", f"/v1/beneficiaries/{person_id}")
        return render(
            request, "assessment.html", {"person": person, "values": form, "errors": field_errors(request, exc)}, 422
        )
    me.flash("success", N_("The assessment is recorded."))
    return RedirectResponse(f"/people/{person_id}#assessments", status_code=303)


async def referral_context(request: Request, me, person_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    person, consents = await asyncio.gather(
        call(request, me, "GET", f"/v1/beneficiaries/{person_id}"),
        call(request, me, "GET", f"/v1/beneficiaries/{person_id}/consents"),
    )
    consented = sorted(
        {c["organisation"] for c in consents if c["purpose"] == "referral" and c["active"] and c["organisation"]}
    )
    return {"person": person, "values": values, "errors": {}, "consented": consented, "missing_consent": None}


@router.get("/people/{person_id}/referral", include_in_schema=False)
async def referral_form(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    values = {"target": request.query_params.get("target", "")}
    return render(request, "referral.html", await referral_context(request, me, person_id, values))


@router.post("/people/{person_id}/referral", include_in_schema=False)
async def refer(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = forms.referral(form)
    try:
        await call(request, me, "POST", f"/v1/beneficiaries/{person_id}/referrals", json=body)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        context = await referral_context(request, me, person_id, form)
        if exc.status == 409 and exc.body.get("code") in ("no_referral_consent", "no_service_consent"):
            context["missing_consent"] = body.get("service") or body.get("organisation")
        elif exc.status == 409:
            context["errors"] = {"_form": problem(request, exc)}
        else:
            context["errors"] = field_errors(request, exc)
        return render(request, "referral.html", context, exc.status)
    me.flash("success", N_("The referral is sent."))
    return RedirectResponse(f"/people/{person_id}#referrals", status_code=303)


# -- erasure ------------------------------------------------------------------------------------


@router.get("/people/{person_id}/erase", include_in_schema=False)
async def erase_form(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    person = await call(request, me, "GET", f"/v1/beneficiaries/{person_id}")
    return render(request, "erase.html", {"person": person, "errors": {}})


@router.post("/people/{person_id}/erase", include_in_schema=False)
async def erase(request: Request, person_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    person = await call(request, me, "GET", f"/v1/beneficiaries/{person_id}")
    typed = " ".join(str(form.get("confirm") or "").split()).casefold()
    if typed != person["family_name"].casefold():
        gettext = gettext_for(request)
        return render(
            request,
            "erase.html",
            {"person": person, "errors": {"confirm": gettext("type the family name exactly to confirm")}},
            422,
        )
    await call(request, me, "DELETE", f"/v1/beneficiaries/{person_id}")
    me.flash("success", N_("The personal data is erased; the other services are told."))
    return RedirectResponse("/people", status_code=303)


# -- duplicates ---------------------------------------------------------------------------------


@router.get("/duplicates", include_in_schema=False)
async def duplicates(request: Request, me: Staff) -> Response:
    page = page_number(request)
    size = web_of(request).settings.page_size
    status = request.query_params.get("status") or "open"
    result = await call(
        request, me, "GET", "/v1/duplicates", params={"status": status, "limit": size, "offset": (page - 1) * size}
    )
    return render(
        request,
        "duplicates.html",
        {"candidates": result["items"], "status": status, "paging": paging(request, result["total"], page)},
    )


@router.get("/duplicates/review", include_in_schema=False)
async def review(request: Request, me: Staff) -> Response:
    q = request.query_params
    try:
        candidate_id, newer_id, older_id = (uuid.UUID(q.get(k, "")) for k in ("candidate", "newer", "older"))
    except ValueError:
        gettext = gettext_for(request)
        from ..app import error_page

        return error_page(request, 404, gettext("Not found"), gettext("This page does not exist."))
    newer, older, hints = await asyncio.gather(
        call(request, me, "GET", f"/v1/beneficiaries/{newer_id}"),
        call(request, me, "GET", f"/v1/beneficiaries/{older_id}"),
        call(request, me, "GET", f"/v1/beneficiaries/{newer_id}/duplicates"),
    )
    match = next((h for h in hints if h["beneficiary_id"] == str(older_id)), None)
    return render(
        request,
        "review.html",
        {"candidate_id": candidate_id, "newer": newer, "older": older, "match": match},
    )


@router.post("/duplicates/{candidate_id}/dismiss", include_in_schema=False)
async def dismiss(request: Request, candidate_id: uuid.UUID, me: Staff) -> Response:
    await form_of(request)
    await call(request, me, "POST", f"/v1/duplicates/{candidate_id}/dismiss")
    me.flash("success", N_("Marked as two different people."))
    return RedirectResponse("/duplicates", status_code=303)


@router.post("/duplicates/{candidate_id}/merge", include_in_schema=False)
async def merge(request: Request, candidate_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    kept = await call(
        request, me, "POST", f"/v1/duplicates/{candidate_id}/merge", json={"keep": forms.text(form, "keep")}
    )
    me.flash("success", N_("The two records are merged into this one."))
    return RedirectResponse(f"/people/{kept['beneficiary_id']}", status_code=303)


@router.post("/duplicates/scans", include_in_schema=False)
async def start_scan(request: Request, me: Staff) -> Response:
    await form_of(request)
    job = await call(request, me, "POST", "/v1/duplicates/scans")
    return RedirectResponse(f"/duplicates/scans/{job['job_id']}", status_code=303)


@router.get("/duplicates/scans/{job_id}", include_in_schema=False)
async def scan_page(request: Request, job_id: str, me: Staff) -> Response:
    job = await call(request, me, "GET", f"/v1/duplicates/scans/{job_id}")
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse(job)
    return render(request, "scan.html", {"job": job})


# -- outreach -----------------------------------------------------------------------------------


@router.get("/outreach", include_in_schema=False)
async def outreach(request: Request, me: Staff, values: dict[str, Any] | None = None) -> Response:
    return await outreach_page(request, me, {}, {}, 200)


async def outreach_page(request: Request, me, values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    page = page_number(request)
    size = web_of(request).settings.page_size
    result = await call(
        request, me, "GET", "/v1/outreach-sessions", params={"limit": size, "offset": (page - 1) * size}
    )
    return render(
        request,
        "outreach.html",
        {
            "sessions": result["items"],
            "paging": paging(request, result["total"], page),
            "values": values,
            "errors": errors,
        },
        status,
    )


@router.post("/outreach", include_in_schema=False)
async def record_outreach(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    try:
        await call(request, me, "POST", "/v1/outreach-sessions", json=forms.outreach(form))
    except ServiceError as exc:
        if exc.status != 422:
            raise
        return await outreach_page(request, me, form, field_errors(request, exc), 422)
    me.flash("success", N_("The outreach session is recorded."))
    return RedirectResponse("/outreach", status_code=303)


# -- spreadsheet import -------------------------------------------------------------------------


@router.get("/imports", include_in_schema=False)
async def import_form(request: Request, me: Staff) -> Response:
    return render(request, "import.html", {"errors": {}})


@router.post("/imports", include_in_schema=False)
async def upload(request: Request, me: Staff) -> Response:
    form = await request.form()
    from ..sessions import csrf_ok

    if not csrf_ok(request, form.get("csrf")):
        from ..app import BadForm

        raise BadForm()
    upload = form.get("file")
    gettext = gettext_for(request)
    if upload is None or isinstance(upload, str) or not upload.filename:
        return render(request, "import.html", {"errors": {"file": gettext("choose a .csv or .xlsx file")}}, 422)
    content = await upload.read()
    try:
        job = await call(
            request,
            me,
            "POST",
            "/v1/imports",
            files={"file": (upload.filename, content, upload.content_type or "application/octet-stream")},
        )
    except ServiceError as exc:
        if exc.status not in (400, 413, 415, 422):
            raise
        return render(request, "import.html", {"errors": {"file": exc.detail}}, 422)
    return RedirectResponse(f"/imports/{job['job_id']}", status_code=303)


@router.get("/imports/{job_id}", include_in_schema=False)
async def import_page(request: Request, job_id: str, me: Staff) -> Response:
    job = await call(request, me, "GET", f"/v1/imports/{job_id}")
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse(job)
    return render(request, "import_job.html", {"job": job})


@router.post("/imports/{job_id}/resume", include_in_schema=False)
async def resume_import(request: Request, job_id: str, me: Staff) -> Response:
    """Go on with an import cut off by a restart; if another person resumed it first (409), the
    job's page shows it running."""
    form = await request.form()
    from ..sessions import csrf_ok

    if not csrf_ok(request, form.get("csrf")):
        from ..app import BadForm

        raise BadForm()
    try:
        await call(request, me, "POST", f"/v1/imports/{job_id}/resume")
    except ServiceError as exc:
        if exc.status != 409:
            raise
    return RedirectResponse(f"/imports/{job_id}", status_code=303)


@router.get("/imports/{job_id}/errors.csv", include_in_schema=False)
async def import_errors(request: Request, job_id: str, me: Staff) -> Response:
    answer = await call(request, me, "GET", f"/v1/imports/{job_id}/errors.csv", raw=True)
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id[:8]}-errors.csv"'},
    )
