"""Training's screens: the course catalogue and cohorts, candidates arriving from referrals (accept
into a cohort or decline, which answers intake's referral), enrolment with the waiting list, the
roll-call of a session (made for a tablet, usable offline), completion under the course's rule,
dropouts, and certificates (the public check and a printable PDF).

Training knows people by their pseudonymous id; their names come from intake, for whom intake
shows them to (`common.names_of`)."""

import asyncio
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from .. import certificate
from ..app import error_page, field_errors, form_of, gettext_for, render, web_of
from ..i18n import N_, reason_text
from ..services import ServiceError
from ..sessions import csrf_ok
from . import forms
from .auth import Staff
from .common import call, listing, names_of, page_number, paging, problem

router = APIRouter()
TRAINING = "training"
MARKS = ("present", "late", "absent", "excused")


async def training(request: Request, me, method: str, path: str, **kwargs: Any) -> Any:
    return await call(request, me, TRAINING, method, path, **kwargs)


def refused(exc: ServiceError) -> bool:
    """A refusal the page shows beside the form (the rest become the error pages)."""
    return exc.status in (409, 422)


# -- cohorts (the section's start) --------------------------------------------------------------


@router.get("/training", include_in_schema=False)
async def cohorts(request: Request, me: Staff) -> Response:
    filters = {k: request.query_params.get(k) or None for k in ("status", "kind", "region")}
    found = await listing(request, me, TRAINING, "/v1/cohorts", filters)
    return render(request, "training/cohorts.html", {**found, "cohorts": found["items"]})


# -- the catalogue ------------------------------------------------------------------------------


def course_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        k: forms.text(form, k) for k in ("title", "kind", "provider", "sector", "description") if forms.text(form, k)
    }
    if forms.text(form, "hours"):
        body["hours"] = forms.number(form, "hours")
    body["certifying"] = bool(form.get("certifying"))
    rule: dict[str, Any] = {"final_assessment_required": bool(form.get("final_assessment_required"))}
    for name in ("min_attendance_percent", "pass_mark"):
        if forms.text(form, name):
            rule[name] = forms.number(form, name)
    body["completion_rule"] = rule
    return body


async def catalogue_page(request: Request, me, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    q = request.query_params
    page = page_number(request)
    size = web_of(request).settings.page_size
    filters = {"kind": q.get("kind") or None, "q": (q.get("q") or "").strip() or None}
    result = await training(
        request, me, "GET", "/v1/courses", params={**filters, "limit": size, "offset": (page - 1) * size}
    )
    return render(
        request,
        "training/courses.html",
        {
            "courses": result["items"],
            "filters": filters,
            "values": values,
            "errors": errors,
            "paging": paging(request, result["total"], page),
        },
        status,
    )


@router.get("/training/courses", include_in_schema=False)
async def courses(request: Request, me: Staff) -> Response:
    defaults = {"min_attendance_percent": 80, "pass_mark": 50, "final_assessment_required": "on", "hours": 40}
    return await catalogue_page(request, me, defaults, {})


@router.post("/training/courses", include_in_schema=False)
async def create_course(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    try:
        course = await training(request, me, "POST", "/v1/courses", json=course_body(form))
    except ServiceError as exc:
        if not refused(exc):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        return await catalogue_page(request, me, form, errors, 422)
    me.flash("success", N_("The course %(title)s is in the catalogue."), title=course["title"])
    return RedirectResponse(f"/training/courses/{course['course_id']}", status_code=303)


async def course_page(
    request: Request, me, course_id: uuid.UUID, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    course, cohorts_of = await asyncio.gather(
        training(request, me, "GET", f"/v1/courses/{course_id}"),
        training(request, me, "GET", "/v1/cohorts", params={"course_id": str(course_id), "limit": 100}),
    )
    return render(
        request,
        "training/course.html",
        {"course": course, "cohorts": cohorts_of["items"], "values": values, "errors": errors},
        status,
    )


@router.get("/training/courses/{course_id}", include_in_schema=False)
async def course(request: Request, course_id: uuid.UUID, me: Staff) -> Response:
    return await course_page(request, me, course_id, {"capacity": 20}, {})


def cohort_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        k: forms.text(form, k) for k in ("label", "starts_on", "ends_on", "region", "place", "trainer")
    }
    body["capacity"] = forms.number(form, "capacity")
    body["sessions"] = [{"held_on": day} for day in (forms.text(form, "session_days") or "").replace(",", " ").split()]
    return {k: v for k, v in body.items() if v not in (None, "")}


@router.post("/training/courses/{course_id}/cohorts", include_in_schema=False)
async def open_cohort(request: Request, course_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    try:
        made = await training(request, me, "POST", f"/v1/courses/{course_id}/cohorts", json=cohort_body(form))
    except ServiceError as exc:
        if not refused(exc):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        if "sessions" in errors:
            errors["session_days"] = errors.pop("sessions")
        return await course_page(request, me, course_id, form, errors, 422)
    me.flash("success", N_("The cohort %(label)s is open."), label=made["label"])
    return RedirectResponse(f"/training/cohorts/{made['cohort_id']}", status_code=303)


# -- a cohort: seats, schedule, class list, waiting list, candidates -----------------------------


@router.get("/training/cohorts/{cohort_id}", include_in_schema=False)
async def cohort(request: Request, cohort_id: uuid.UUID, me: Staff) -> Response:
    base = f"/v1/cohorts/{cohort_id}"
    made, sessions, places, candidates = await asyncio.gather(
        training(request, me, "GET", base),
        training(request, me, "GET", f"{base}/sessions"),
        training(request, me, "GET", f"{base}/enrolments", params={"limit": 500}),
        training(request, me, "GET", f"{base}/candidates", params={"limit": 100}),
    )
    ids = [p["beneficiary_id"] for p in places["items"]] + [c["beneficiary_id"] for c in candidates["items"]]
    names = await names_of(request, me, ids)
    course_of = await training(request, me, "GET", f"/v1/courses/{made['course_id']}")
    order = {"enrolled": 0, "completed": 1, "waitlisted": 2, "dropped_out": 3}
    places_sorted = sorted(places["items"], key=lambda p: (order.get(p["status"], 4), p["waiting_position"] or 0))
    return render(
        request,
        "training/cohort.html",
        {
            "cohort": made,
            "course": course_of,
            "sessions": sessions,
            "places": [p for p in places_sorted if p["status"] != "waitlisted"],
            "waiting": [p for p in places_sorted if p["status"] == "waitlisted"],
            "candidates": candidates["items"],
            "candidates_total": candidates["total"],
            "names": names,
            "today": date.today().isoformat(),
            "dropout_reasons": DROPOUT_REASONS,
        },
    )


DROPOUT_REASONS = (
    "found_work",
    "moved_away",
    "health",
    "family",
    "schedule_conflict",
    "lost_contact",
    "lost_interest",
    "other",
)


def back_to(cohort_id: Any, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/training/cohorts/{cohort_id}{anchor}", status_code=303)


async def take_seat(request: Request, me, cohort_id: Any, body: dict[str, Any], refused_to: str) -> Response:
    """Enrol through training (intake hears the referral is accepted), and say where the person is:
    in a seat or on the waiting list; a refusal goes back to `refused_to` with its reason."""
    try:
        place = await training(request, me, "POST", f"/v1/cohorts/{cohort_id}/enrolments", json=body)
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("Not enrolled: %(reason)s"), reason=problem(request, exc))
        return RedirectResponse(refused_to, status_code=303)
    if place["status"] == "waitlisted":
        me.flash("success", N_("On the waiting list, number %(position)s."), position=place["waiting_position"])
    else:
        me.flash("success", N_("Enrolled; intake is told the referral is accepted."))
    return back_to(cohort_id, "#class")


@router.post("/training/cohorts/{cohort_id}/enrolments", include_in_schema=False)
async def enrol(request: Request, cohort_id: uuid.UUID, me: Staff) -> Response:
    """Accept a candidate into the cohort: a seat, or the waiting list when it is full and asked."""
    form = await form_of(request)
    body = {"beneficiary_id": forms.text(form, "beneficiary_id"), "join_waiting_list": bool(form.get("waiting_list"))}
    return await take_seat(request, me, cohort_id, body, f"/training/cohorts/{cohort_id}#candidates")


@router.post("/training/cohorts/{cohort_id}/sessions", include_in_schema=False)
async def add_session(request: Request, cohort_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = {k: forms.text(form, k) for k in ("held_on", "starts_at", "topic") if forms.text(form, k)}
    try:
        await training(request, me, "POST", f"/v1/cohorts/{cohort_id}/sessions", json=body)
        me.flash("success", N_("The session is in the schedule."))
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("The session was not added: %(reason)s"), reason=problem(request, exc))
    return back_to(cohort_id, "#schedule")


@router.post("/training/cohorts/{cohort_id}/close", include_in_schema=False)
async def close(request: Request, cohort_id: uuid.UUID, me: Staff) -> Response:
    await form_of(request)
    try:
        closing = await training(request, me, "POST", f"/v1/cohorts/{cohort_id}/close")
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("The cohort was not finished: %(reason)s"), reason=problem(request, exc))
        return back_to(cohort_id)
    me.flash(
        "success",
        N_("The cohort is finished: %(completed)s completed, %(not_completed)s did not."),
        completed=closing["completed"],
        not_completed=closing["not_completed"],
    )
    return back_to(cohort_id, "#class")


# -- one person's place: final assessment, completion, dropout, certificate ---------------------


@router.post("/training/enrolments/{enrolment_id}/{action}", include_in_schema=False)
async def enrolment_action(request: Request, enrolment_id: uuid.UUID, action: str, me: Staff) -> Response:
    form = await form_of(request)
    cohort_id = forms.text(form, "cohort_id")
    base = f"/v1/enrolments/{enrolment_id}"
    try:
        if action == "score":
            await training(request, me, "PUT", f"{base}/final-assessment", json={"score": forms.number(form, "score")})
            me.flash("success", N_("The final assessment is recorded."))
        elif action == "complete":
            place = await training(request, me, "POST", f"{base}/complete")
            if place.get("certificate_number"):
                me.flash("success", N_("Completed; certificate %(number)s."), number=place["certificate_number"])
            else:
                me.flash("success", N_("Completed."))
        elif action == "dropout":
            body = {k: forms.text(form, k) for k in ("reason", "note") if forms.text(form, k)}
            await training(request, me, "POST", f"{base}/dropout", json=body)
            me.flash("success", N_("The dropout is recorded."))
        else:
            return Response(status_code=404)
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("Not recorded: %(reason)s"), reason=problem(request, exc))
    if cohort_id:
        return back_to(uuid.UUID(cohort_id), "#class")
    return RedirectResponse("/training", status_code=303)


@router.get("/training/enrolments/{enrolment_id}/certificate.pdf", include_in_schema=False)
async def certificate_pdf(request: Request, enrolment_id: uuid.UUID, me: Staff) -> Response:
    place = await training(request, me, "GET", f"/v1/enrolments/{enrolment_id}")
    if not place.get("certificate_number"):
        gettext = gettext_for(request)
        return error_page(request, 404, gettext("Not found"), gettext("This enrolment has no certificate."))
    check, names = await asyncio.gather(
        training(request, me, "GET", f"/v1/certificates/{place['certificate_number']}"),
        names_of(request, me, [place["beneficiary_id"]]),
    )
    verify_url = f"{web_of(request).settings.base_url}/certificates/{check['certificate_number']}"
    pdf = certificate.render(check, names.get(place["beneficiary_id"]), verify_url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{check["certificate_number"]}.pdf"'},
    )


# -- candidates: referrals waiting for an answer ------------------------------------------------


@router.get("/training/candidates", include_in_schema=False)
async def candidates(request: Request, me: Staff) -> Response:
    q = request.query_params
    page = page_number(request)
    size = web_of(request).settings.page_size
    filters = {"status": q.get("status") or "pending", "region": q.get("region") or None, "kind": q.get("kind") or None}
    result, open_cohorts = await asyncio.gather(
        training(request, me, "GET", "/v1/candidates", params={**filters, "limit": size, "offset": (page - 1) * size}),
        training(
            request, me, "GET", "/v1/cohorts", params={"status": "open", "organisation": me.organisation, "limit": 200}
        ),
    )
    names = await names_of(request, me, [c["beneficiary_id"] for c in result["items"]])
    return render(
        request,
        "training/candidates.html",
        {
            "candidates": result["items"],
            "filters": filters,
            "cohorts": open_cohorts["items"],
            "names": names,
            "paging": paging(request, result["total"], page),
        },
    )


@router.post("/training/candidates/{referral_id}/accept", include_in_schema=False)
async def accept(request: Request, referral_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    cohort_id = forms.text(form, "cohort_id")
    if not cohort_id:
        me.flash("error", N_("Choose the cohort to enrol this person in."))
        return RedirectResponse("/training/candidates", status_code=303)
    body = {"beneficiary_id": forms.text(form, "beneficiary_id"), "join_waiting_list": True}
    return await take_seat(request, me, uuid.UUID(cohort_id), body, "/training/candidates")


@router.post("/training/candidates/{referral_id}/decline", include_in_schema=False)
async def decline(request: Request, referral_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    note = forms.text(form, "note")
    try:
        await training(request, me, "POST", f"/v1/candidates/{referral_id}/decline", json={"note": note})
        me.flash("success", N_("The referral is declined; intake is told."))
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("Not declined: %(reason)s"), reason=problem(request, exc))
    back = forms.text(form, "then")
    return RedirectResponse(back if back and back.startswith("/training/") else "/training/candidates", status_code=303)


# -- the roll-call of a session ----------------------------------------------------------------


@router.get("/training/cohorts/{cohort_id}/sessions/{session_id}/roll-call", include_in_schema=False)
async def roll_call(request: Request, cohort_id: uuid.UUID, session_id: uuid.UUID, me: Staff) -> Response:
    base = f"/v1/cohorts/{cohort_id}"
    made, sessions, places, sheet = await asyncio.gather(
        training(request, me, "GET", base),
        training(request, me, "GET", f"{base}/sessions"),
        training(request, me, "GET", f"{base}/enrolments", params={"limit": 500}),
        training(request, me, "GET", f"{base}/sessions/{session_id}/attendance"),
    )
    held = next((s for s in sessions if s["session_id"] == str(session_id)), None)
    marks = {m["beneficiary_id"]: m["mark"] for m in sheet["marks"]}
    seated = [p for p in places["items"] if p["status"] in ("enrolled", "completed", "dropped_out")]
    seated = [p for p in seated if p["status"] != "dropped_out" or p["beneficiary_id"] in marks]
    names = await names_of(request, me, [p["beneficiary_id"] for p in seated])
    seated.sort(key=lambda p: names.get(p["beneficiary_id"], "~" + p["beneficiary_id"]).casefold())
    return render(
        request,
        "training/roll_call.html",
        {
            "cohort": made,
            "held": held,
            "people": seated,
            "marks": marks,
            "names": names,
            "sheet_key": str(uuid.uuid4()),
            "mark_choices": MARKS,
        },
    )


def sheet_of(form: dict[str, Any]) -> dict[str, Any]:
    entries = [
        {"beneficiary_id": name.removeprefix("mark_"), "mark": forms.text(form, name)}
        for name in form
        if name.startswith("mark_") and forms.text(form, name)
    ]
    body: dict[str, Any] = {"entries": entries}
    if forms.text(form, "correction_reason"):
        body["correction_reason"] = forms.text(form, "correction_reason")
    return body


async def send_sheet(
    request: Request, me, cohort_id: uuid.UUID, session_id: uuid.UUID, body: dict[str, Any], key: str | None
) -> dict[str, Any]:
    """The register through training, with the roll-call's key: sent twice, entered once."""
    headers = {"Idempotency-Key": key} if key else {}
    url = f"/v1/cohorts/{cohort_id}/sessions/{session_id}/attendance"
    return await training(request, me, "PUT", url, json=body, headers=headers)


@router.post("/training/cohorts/{cohort_id}/sessions/{session_id}/roll-call", include_in_schema=False)
async def save_roll_call(request: Request, cohort_id: uuid.UUID, session_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = sheet_of(form)
    if not body["entries"]:
        me.flash("error", N_("Mark at least one person before saving."))
        return RedirectResponse(request.url.path, status_code=303)
    try:
        sheet = await send_sheet(request, me, cohort_id, session_id, body, forms.text(form, "sheet_key"))
    except ServiceError as exc:
        if not refused(exc):
            raise
        me.flash("error", N_("The register was not saved: %(reason)s"), reason=problem(request, exc))
        return RedirectResponse(request.url.path, status_code=303)
    me.flash(
        "success",
        N_("The register is saved: %(recorded)s marks entered, %(corrected)s corrected."),
        recorded=sheet["recorded"],
        corrected=sheet["corrected"],
    )
    return back_to(cohort_id, "#schedule")


@router.post("/offline/attendance", include_in_schema=False)
async def send_waiting_roll_call(request: Request, me: Staff) -> Response:
    """A roll-call taken without a connection, sent by the tablet when it returns (JSON, with the
    key the tablet made; training enters a register with a known key once)."""
    if not csrf_ok(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"status": "expired"}, status_code=403)
    try:
        sent: dict[str, Any] = await request.json()
        cohort_id = uuid.UUID(str(sent["cohort_id"]))
        session_id = uuid.UUID(str(sent["session_id"]))
        key = str(sent["key"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"status": "refused", "errors": {"_form": "not a roll-call"}}, status_code=400)
    try:
        sheet = await send_sheet(request, me, cohort_id, session_id, sheet_of(sent.get("fields") or {}), key)
    except ServiceError as exc:
        if refused(exc) or exc.status == 404:
            return JSONResponse({"status": "refused", "errors": {"_form": problem(request, exc)}}, status_code=422)
        if exc.status == 401:
            return JSONResponse({"status": "signed_out"}, status_code=401)
        return JSONResponse({"status": "later"}, status_code=503)
    gettext = gettext_for(request)
    return JSONResponse(
        {"status": "sent", "recorded": sheet["recorded"], "message": gettext("Register sent")}, status_code=200
    )


# -- the public check of a certificate ----------------------------------------------------------


@router.get("/certificates", include_in_schema=False)
def certificate_form(number: str = "") -> Response:
    return RedirectResponse(f"/certificates/{number.strip() or '-'}", status_code=303)


@router.get("/certificates/{number}", include_in_schema=False)
async def check_certificate(request: Request, number: str) -> Response:
    """Open to anyone (an employer checking a candidate's certificate): the course, never the person."""
    found: dict[str, Any] | None = None
    message = ""
    gettext = gettext_for(request)
    try:
        found = await web_of(request).services.call(TRAINING, "GET", f"/v1/certificates/{number}", None)
    except ServiceError as exc:
        if exc.status == 404:
            message = gettext("No certificate with this number was issued in the programme.")
        elif exc.status == 422:
            reasons = [reason_text(str(e.get("reason", "")), gettext) for e in exc.errors] or [exc.detail]
            message = gettext("This is not a certificate number: %(reason)s", reason="; ".join(reasons))
        else:
            raise
    return render(
        request,
        "training/certificate_check.html",
        {"number": number, "found": found, "message": message},
        200 if found else 404,
    )
