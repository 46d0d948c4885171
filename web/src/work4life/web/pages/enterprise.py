"""Enterprise's screens: the venture pipeline as a board (a column a stage, each card offering the
moves the rules allow), an application with its members, a venture's page (members, committee
decisions, business plan, grant with its tranches, milestones and disbursements in exact MAD with
the EUR rate, coaching sessions, launch, follow-up visits), the visits due, and the referrals to
enterprise support.

Enterprise knows people by their pseudonymous id; their names come from intake, for whom intake
shows them to (`common.names_of`)."""

import asyncio
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..app import field_errors, form_of, render, web_of
from ..i18n import N_
from ..services import ServiceError
from . import forms
from .auth import Staff
from .common import amount, attempt, call, listing, names_of, page_number, paging, problem

router = APIRouter()
ENTERPRISE = "enterprise"
BOARD = ("application", "pre_incubation", "incubation", "acceleration", "launched", "followed_up")
ENDED = ("rejected", "abandoned")
COMMITTEE = ("pre_incubation", "incubation", "rejected")
EXIT_REASONS = (
    "not_viable",
    "not_eligible",
    "incomplete_application",
    "found_job",
    "moved_away",
    "lost_interest",
    "group_dissolved",
    "other",
)


async def enterprise(request: Request, me, method: str, path: str, **kwargs: Any) -> Any:
    return await call(request, me, ENTERPRISE, method, path, **kwargs)


# -- the board --------------------------------------------------------------------------------


@router.get("/enterprise", include_in_schema=False)
async def board(request: Request, me: Staff) -> Response:
    q = request.query_params
    filters = {"kind": q.get("kind") or None, "region": q.get("region") or None}
    errors: dict[str, str] = {}
    columns: dict[str, dict[str, Any]] = {}
    try:
        answers = await asyncio.gather(
            *(
                enterprise(request, me, "GET", "/v1/ventures", params={**filters, "stage": stage, "limit": 100})
                for stage in BOARD + ENDED
            )
        )
        columns = dict(zip(BOARD + ENDED, answers, strict=True))
    except ServiceError as exc:
        if exc.status != 422:
            raise
        errors = field_errors(request, exc)
        columns = {stage: {"items": [], "total": 0} for stage in BOARD + ENDED}
    return render(
        request,
        "enterprise/board.html",
        {
            "columns": columns,
            "board": BOARD,
            "ended": ENDED,
            "filters": filters,
            "errors": errors,
            "committee": COMMITTEE,
            "exit_reasons": EXIT_REASONS,
            "today": date.today().isoformat(),
        },
    )


def transition_body(form: dict[str, Any]) -> dict[str, Any]:
    to = forms.text(form, "to")
    body: dict[str, Any] = {"to": to}
    if forms.text(form, "on"):
        body["on"] = forms.text(form, "on")
    if to in ENDED:
        body["reason"] = forms.text(form, "reason")
    if to in COMMITTEE and forms.text(form, "committee"):
        decision: dict[str, Any] = {
            "decided_on": forms.text(form, "decided_on") or forms.text(form, "on"),
            "committee": forms.text(form, "committee"),
        }
        if forms.text(form, "score"):
            decision["score"] = forms.number(form, "score")
        if forms.text(form, "notes"):
            decision["notes"] = forms.text(form, "notes")
        body["committee"] = decision
    return body


@router.post("/enterprise/ventures/{venture_id}/move", include_in_schema=False)
async def move(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The venture has moved."),
        N_("The venture did not move: %(reason)s"),
        "POST",
        f"/v1/ventures/{venture_id}/transitions",
        json=transition_body(form),
    )
    back = forms.text(form, "then")
    target = back if back in ("/enterprise",) else f"/enterprise/ventures/{venture_id}"
    return RedirectResponse(target, status_code=303)


# -- an application ---------------------------------------------------------------------------


async def application_page(request: Request, me, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    pending = await enterprise(request, me, "GET", "/v1/candidates", params={"status": "pending", "limit": 200})
    names = await names_of(request, me, [c["beneficiary_id"] for c in pending["items"]])
    return render(
        request,
        "enterprise/apply.html",
        {"candidates": pending["items"], "names": names, "values": values, "errors": errors},
        status,
    )


@router.get("/enterprise/ventures/new", include_in_schema=False)
async def new_venture(request: Request, me: Staff) -> Response:
    return await application_page(
        request, me, {"other_members": 0, "members": request.query_params.getlist("member")}, {}
    )


@router.post("/enterprise/ventures", include_in_schema=False)
async def apply(request: Request, me: Staff) -> Response:
    form = await form_of(request)
    body: dict[str, Any] = {
        k: forms.text(form, k)
        for k in ("name", "kind", "sector", "region", "city", "description")
        if forms.text(form, k)
    }
    body["members"] = forms.many(form, "members")
    body["other_members"] = forms.number(form, "other_members") or 0
    body["already_running"] = bool(form.get("already_running"))
    try:
        venture = await enterprise(request, me, "POST", "/v1/ventures", json=body)
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
        values = {**form, "members": forms.many(form, "members")}
        return await application_page(request, me, values, errors, 422)
    me.flash("success", N_("The application of %(name)s is recorded."), name=venture["name"])
    return RedirectResponse(f"/enterprise/ventures/{venture['venture_id']}", status_code=303)


# -- a venture's page -------------------------------------------------------------------------


async def optional(request: Request, me, path: str) -> Any:
    """A part of a venture that may not exist yet (its plan, its grant): None for a 404."""
    try:
        return await enterprise(request, me, "GET", path)
    except ServiceError as exc:
        if exc.status == 404:
            return None
        raise


@router.get("/enterprise/ventures/{venture_id}", include_in_schema=False)
async def venture(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    base = f"/v1/ventures/{venture_id}"
    found, plan, grant, coaching, visits, missing = await asyncio.gather(
        enterprise(request, me, "GET", base),
        optional(request, me, f"{base}/business-plan"),
        optional(request, me, f"{base}/grant"),
        enterprise(request, me, "GET", f"{base}/coaching"),
        enterprise(request, me, "GET", f"{base}/follow-ups"),
        enterprise(request, me, "GET", f"{base}/grant/prerequisites"),
    )
    names = await names_of(request, me, [m["beneficiary_id"] for m in found["members"]])
    return render(
        request,
        "enterprise/venture.html",
        {
            "venture": found,
            "plan": plan,
            "grant": grant,
            "coaching": coaching,
            "visits": visits,
            "missing": missing,
            "names": names,
            "committee": COMMITTEE,
            "exit_reasons": EXIT_REASONS,
            "today": date.today().isoformat(),
        },
    )


def money(form: dict[str, Any], name: str) -> str | None:
    return amount(forms.text(form, name))


@router.post("/enterprise/ventures/{venture_id}/business-plan", include_in_schema=False)
async def business_plan(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body: dict[str, Any] = {
        name: money(form, name)
        for name in (
            "investment_need_mad",
            "own_contribution_mad",
            "grant_requested_mad",
            "other_financing_mad",
            "expected_monthly_revenue_mad",
        )
        if money(form, name)
    }
    body["expected_jobs"] = forms.number(form, "expected_jobs")
    if forms.text(form, "summary"):
        body["summary"] = forms.text(form, "summary")
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The business plan is recorded."),
        N_("The business plan was not recorded: %(reason)s"),
        "PUT",
        f"/v1/ventures/{venture_id}/business-plan",
        json=body,
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#plan", status_code=303)


@router.post("/enterprise/ventures/{venture_id}/grant", include_in_schema=False)
async def approve_grant(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    tranches = []
    for number in range(1, 7):
        amount, milestone = money(form, f"tranche_{number}_amount"), forms.text(form, f"tranche_{number}_milestone")
        if amount or milestone:
            tranches.append({"amount_mad": amount, "milestone": milestone})
    body: dict[str, Any] = {"approved_mad": money(form, "approved_mad"), "tranches": tranches}
    if forms.text(form, "approved_on"):
        body["approved_on"] = forms.text(form, "approved_on")
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The grant is approved."),
        N_("The grant was not approved: %(reason)s"),
        "POST",
        f"/v1/ventures/{venture_id}/grant",
        json=body,
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#grant", status_code=303)


@router.post("/enterprise/grants/{grant_id}/tranches/{tranche}/{action}", include_in_schema=False)
async def tranche_action(request: Request, grant_id: uuid.UUID, tranche: int, action: str, me: Staff) -> Response:
    form = await form_of(request)
    venture_id = uuid.UUID(forms.text(form, "venture_id") or "")
    base = f"/v1/grants/{grant_id}/tranches/{tranche}"
    if action == "milestone":
        body = {"met_on": forms.text(form, "met_on"), "evidence": forms.text(form, "evidence")}
        done, failed, path = N_("The milestone is recorded."), N_("The milestone was not recorded: %(reason)s"), base
        path = f"{base}/milestone"
    elif action == "disbursements":
        body = {k: v for k, v in {"amount_mad": money(form, "amount_mad"), "reference": forms.text(form, "reference"),
                                  "disbursed_on": forms.text(form, "disbursed_on")}.items() if v}  # fmt: skip
        done, failed = N_("The disbursement is recorded."), N_("The disbursement was not recorded: %(reason)s")
        path = f"{base}/disbursements"
    else:
        return Response(status_code=404)
    await attempt(request, me, ENTERPRISE, done, failed, "POST", path, json=body)
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#grant", status_code=303)


@router.post("/enterprise/ventures/{venture_id}/coaching", include_in_schema=False)
async def coaching(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = {k: forms.text(form, k) for k in ("held_on", "hours", "topic", "coach", "notes") if forms.text(form, k)}
    if "hours" in body:
        body["hours"] = money(form, "hours")
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The coaching session is recorded."),
        N_("The coaching session was not recorded: %(reason)s"),
        "POST",
        f"/v1/ventures/{venture_id}/coaching",
        json=body,
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#coaching", status_code=303)


@router.post("/enterprise/ventures/{venture_id}/coach", include_in_schema=False)
async def name_coach(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The coach is saved."),
        N_("The coach was not saved: %(reason)s"),
        "PUT",
        f"/v1/ventures/{venture_id}/coach",
        json={"coach": forms.text(form, "coach") or None},
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}", status_code=303)


@router.post("/enterprise/ventures/{venture_id}/launch", include_in_schema=False)
async def launch(request: Request, venture_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    body = {k: forms.text(form, k) for k in ("legal_form", "registered_on", "premises") if forms.text(form, k)}
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The launch is recorded; the follow-up visits are scheduled."),
        N_("The launch was not recorded: %(reason)s"),
        "POST",
        f"/v1/ventures/{venture_id}/launch",
        json=body,
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#visits", status_code=303)


@router.post("/enterprise/ventures/{venture_id}/follow-ups/{months}", include_in_schema=False)
async def follow_up(request: Request, venture_id: uuid.UUID, months: int, me: Staff) -> Response:
    form = await form_of(request)
    active = forms.text(form, "active")
    body: dict[str, Any] = {
        "visited_on": forms.text(form, "visited_on"),
        "active": active == "yes" if active in ("yes", "no") else active,
        "revenue_band": forms.text(form, "revenue_band"),
        "jobs_owners": forms.number(form, "jobs_owners"),
        "jobs_employees": forms.number(form, "jobs_employees"),
    }
    if forms.text(form, "notes"):
        body["notes"] = forms.text(form, "notes")
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The follow-up visit is recorded."),
        N_("The follow-up visit was not recorded: %(reason)s"),
        "PUT",
        f"/v1/ventures/{venture_id}/follow-ups/{months}",
        json=body,
    )
    back = forms.text(form, "then")
    return RedirectResponse(back if back == "/enterprise/visits" else f"/enterprise/ventures/{venture_id}#visits", 303)


@router.post("/enterprise/ventures/{venture_id}/members/{beneficiary_id}/leave", include_in_schema=False)
async def leave(request: Request, venture_id: uuid.UUID, beneficiary_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The member has left the venture."),
        N_("Not recorded: %(reason)s"),
        "POST",
        f"/v1/ventures/{venture_id}/members/{beneficiary_id}/leave",
        json={"reason": forms.text(form, "reason")},
    )
    return RedirectResponse(f"/enterprise/ventures/{venture_id}#members", status_code=303)


# -- visits due and candidates ----------------------------------------------------------------


@router.get("/enterprise/visits", include_in_schema=False)
async def visits_due(request: Request, me: Staff) -> Response:
    q = request.query_params
    filters = {
        "within_days": q.get("within_days") or "30",
        "region": q.get("region") or None,
        "coach": (q.get("coach") or "").strip() or None,
    }
    found = await listing(request, me, ENTERPRISE, "/v1/follow-ups/due", filters)
    return render(request, "enterprise/visits.html", {**found, "visits": found["items"]})


@router.get("/enterprise/candidates", include_in_schema=False)
async def candidates(request: Request, me: Staff) -> Response:
    q = request.query_params
    page = page_number(request)
    size = web_of(request).settings.page_size
    filters = {"status": q.get("status") or "pending", "region": q.get("region") or None}
    result = await enterprise(
        request, me, "GET", "/v1/candidates", params={**filters, "limit": size, "offset": (page - 1) * size}
    )
    names = await names_of(request, me, [c["beneficiary_id"] for c in result["items"]])
    return render(
        request,
        "enterprise/candidates.html",
        {
            "candidates": result["items"],
            "filters": filters,
            "names": names,
            "paging": paging(request, result["total"], page),
        },
    )


@router.post("/enterprise/candidates/{referral_id}/decline", include_in_schema=False)
async def decline(request: Request, referral_id: uuid.UUID, me: Staff) -> Response:
    form = await form_of(request)
    await attempt(
        request,
        me,
        ENTERPRISE,
        N_("The referral is declined; intake is told."),
        N_("Not declined: %(reason)s"),
        "POST",
        f"/v1/candidates/{referral_id}/decline",
        json={"note": forms.text(form, "note")},
    )
    back = forms.text(form, "then")
    return RedirectResponse(back if back and back.startswith("/enterprise/") else "/enterprise/candidates", 303)
