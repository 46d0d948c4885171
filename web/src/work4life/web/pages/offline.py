"""Registration while the tablet has no connection.

The registration page works offline (a service worker keeps it and its assets); a registration
made without a connection waits on the device with the key the device gave it, and is sent here
when the connection returns. Intake answers a key it already knows with the person it created
(`Idempotency-Key`), so a registration sent twice (its answer lost on a bad line, say) makes one
person and one event. The page removes what was sent; signing out removes what still waits."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ..app import field_errors, gettext_for
from ..services import ServiceError
from ..sessions import csrf_ok, csrf_token
from .auth import Staff
from .common import problem
from .intake import register

router = APIRouter()
STATIC = Path(__file__).resolve().parents[1] / "static"


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> Response:
    """At the root so that it may keep the registration page (a worker's scope is its folder)."""
    return FileResponse(STATIC / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/offline/csrf", include_in_schema=False)
def fresh_csrf(request: Request, me: Staff) -> dict[str, str]:
    """The CSRF token to send waiting registrations with (the page they were made on may be old)."""
    return {"csrf": csrf_token(request)}


@router.post("/offline/registrations", include_in_schema=False)
async def send_waiting(request: Request, me: Staff) -> Response:
    if not csrf_ok(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"status": "expired"}, status_code=403)
    try:
        form: dict[str, Any] = await request.json()
    except ValueError:
        return JSONResponse({"status": "refused", "errors": {"_form": "not JSON"}}, status_code=400)
    if not isinstance(form, dict) or not form.get("registration_key"):
        return JSONResponse({"status": "refused", "errors": {"_form": "no registration key"}}, status_code=400)
    try:
        status, person = await register(request, me, form)
    except ServiceError as exc:
        if exc.status in (409, 422):
            errors = field_errors(request, exc) if exc.status == 422 else {"_form": problem(request, exc)}
            return JSONResponse({"status": "refused", "errors": errors}, status_code=422)
        if exc.status == 401:
            return JSONResponse({"status": "signed_out"}, status_code=401)
        return JSONResponse({"status": "later"}, status_code=503)
    gettext = gettext_for(request)
    return JSONResponse(
        {
            "status": "replayed" if status == 200 else "created",
            "beneficiary_id": person["beneficiary_id"],
            "name": f"{person['given_name']} {person['family_name']}",
            "message": gettext("Registered"),
        },
        status_code=200,
    )
