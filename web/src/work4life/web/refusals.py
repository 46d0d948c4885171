"""The services' refusals of the current state (their 409 answers) in the person's language.

Every 409 carries a stable `code` naming the rule and the `values` that fill it (see
`work4life.runtime.errors.Conflict`); the English `detail` is for API clients and logs. The app
says each code in French, Arabic or English, with the values named by code (a stage, a status)
shown with their labels, days and amounts written the person's way. A code the app does not know
(a newer service) falls back to the service's English sentence. A test fails when a service
raises a code that has no text here.
"""

from datetime import date
from typing import Any

from babel.lists import format_list

from .i18n import N_, Formatter
from .labels import LABELS

REFUSALS = {
    # intake
    "no_service_consent": N_("The person has withdrawn consent to service delivery."),
    "no_referral_consent": N_("There is no active consent to referral to %(recipient)s: record it first."),
    "referral_step_not_allowed": N_("A referral that is “%(referral_status)s” cannot become “%(new_status)s”."),
    "pair_reviewed": N_("This pair was already reviewed (“%(candidate_status)s”)."),
    "keep_not_in_pair": N_("The record to keep must be one of the pair."),
    "pair_not_active": N_("Both registrations must still be active."),
    "consent_exists": N_("An active consent for “%(purpose)s” already exists for this recipient."),
    "consent_withdrawn": N_("This consent was already withdrawn on %(withdrawn_on)s."),
    "scan_running": N_("A search for duplicates is already running."),
    "record_closed": N_("This record is “%(status)s” and can no longer change."),
    "key_reused": N_("This entry was sent before, with the same key, for something else; it was not saved."),
    "answered_by_service": N_(
        "The partner service “%(service)s” answers this referral itself; it can only be cancelled here."
    ),
    "import_not_interrupted": N_("This import is “%(job_status)s”: only an interrupted import can be resumed."),
    # every partner service
    "no_standing_referral": N_(
        "The person has no standing referral to “%(service)s”: refer them in intake (with their consent) first."
    ),
    "referral_not_pending": N_("The referral is “%(referral_status)s”: only a pending one can be declined."),
    # training
    "course_inactive": N_("The course is inactive and takes no new cohorts."),
    "schedule_settled": N_("The cohort is “%(cohort_status)s”: its schedule can no longer change."),
    "cohort_closed_to_enrolment": N_("The cohort is “%(cohort_status)s”: it takes no enrolments."),
    "enrolment_exists": N_("The person is already in this cohort (“%(enrolment_status)s”)."),
    "enrolment_overlaps": N_("The person is already in the cohort %(cohort)s (“%(enrolment_status)s”), which overlaps."),
    "cohort_full": N_("The cohort is full (%(capacity)s seats): put the person on its waiting list."),
    "nothing_to_leave": N_("The enrolment is “%(enrolment_status)s”: there is nothing to leave."),
    "attendance_settled": N_("The cohort is finished: completions were decided on its attendance."),
    "not_enrolled": N_("The enrolment is “%(enrolment_status)s”, not enrolled."),
    "cohort_ended": N_("The cohort is “%(cohort_status)s”."),
    "cohort_still_running": N_("The cohort runs until %(ends_on)s: close it after its last day."),
    "cohort_settled": N_("The cohort is “%(cohort_status)s” and can no longer change."),
    "capacity_below_taken": N_("A capacity of %(capacity)s is below the %(taken)s seats already taken."),
    "completion_rule_unmet": N_("The course's completion rule is not met: %(unmet)s"),
    # enterprise
    "stage_not_allowed": N_("A venture cannot go from “%(stage)s” to “%(new_stage)s”; it can go to: %(allowed)s."),
    "stage_final": N_("A venture that is “%(stage)s” can no longer move."),
    "launch_by_form": N_("A venture is launched with the launch form (legal form, registration)."),
    "follow_up_by_visit": N_("A venture is followed up by recording its first follow-up visit."),
    "members_settled": N_("The venture is “%(stage)s”: its members no longer change."),
    "already_member": N_("The person is already a member of the venture."),
    "venture_ended": N_("The venture is “%(stage)s”: it no longer changes."),
    "plan_settled": N_("The venture is “%(stage)s”: its business plan is settled."),
    "grant_too_early": N_("The venture is “%(stage)s”: a grant is approved in incubation or later."),
    "grant_exists": N_("The venture already has a grant."),
    "no_business_plan": N_("The venture has no business plan: record it first."),
    "grant_prerequisites": N_("The grant needs its prerequisites first: the members must complete the required courses."),
    "milestone_met": N_("The milestone of tranche %(tranche)s was already met on %(met_on)s."),
    "milestone_not_met": N_("The milestone of tranche %(tranche)s is not met yet (%(milestone)s): nothing can be paid."),
    "beyond_tranche": N_(
        "%(amount)s is beyond what was approved: tranche %(tranche)s has %(left)s left of %(tranche_amount)s."
    ),
    "referral_in_application": N_("This referral belongs to a venture's application: decide the application."),
    "visits_start_at_launch": N_("The venture is “%(stage)s”: follow-up visits start at launch."),
    "visit_not_needed": N_("The %(months)s-month visit is not needed: the venture was found closed at an earlier visit."),
    # employment
    "application_step_not_allowed": N_(
        "An application that is “%(application_status)s” cannot become “%(new_status)s”; it can become: %(allowed)s."
    ),
    "application_final": N_("An application that is “%(application_status)s” can no longer change."),
    "positions_below_hired": N_("%(hired)s people were already hired on this offer: positions cannot go below that."),
    "fair_closed": N_("The job fair was closed on %(closed_on)s."),
    "fair_not_held_yet": N_("The job fair is on %(held_on)s: close it on the day or after."),
    "offer_not_open": N_("The offer is “%(offer_status)s”: it takes no applications."),
    "offer_past_closing": N_("The offer closed on %(closes_on)s: it takes no applications."),
    "application_exists": N_("The person already has an application for this offer (“%(application_status)s”)."),
    "offer_filled": N_("All %(positions)s positions of the offer are filled."),
    "check_not_needed": N_("The %(months)s-month check is not needed: the person had left at an earlier check."),
    # reporting
    "period_not_over": N_("%(period)s is not over: it can be approved from %(approvable_on)s."),
    "period_approved": N_("%(period)s was already approved by %(approved_by)s on %(approved_on)s."),
    "approval_withdrawn": N_("This approval was already withdrawn by %(withdrawn_by)s."),
}  # fmt: skip

# The conditions of a course's completion rule a person does not meet (training's `Unmet`).
UNMET = {
    "no_sessions": N_("the cohort has no sessions to attend"),
    "attendance_below_rule": N_(
        "attended %(attended)s of %(sessions)s sessions (%(percent)s), below the %(required)s the course requires"
    ),
    "no_final_assessment": N_("no final assessment recorded yet"),
    "final_assessment_failed": N_("the final assessment was not passed"),
}

# Values named by code, shown with their labels: the value's name gives the kind of label...
LABELLED = {
    "stage": "venture_stage",
    "new_stage": "venture_stage",
    "cohort_status": "cohort_status",
    "enrolment_status": "enrolment_status",
    "application_status": "application_status",
    "offer_status": "offer_status",
    "referral_status": "referral_status",
    "candidate_status": "candidate_status",
    "status": "status",
    "service": "service",
    "purpose": "purpose",
    "job_status": "job_status",
}
# ... but for these codes, a status to become and the allowed ones are of the code's own kind.
NEXT_OF_KIND = {
    "referral_step_not_allowed": "referral_status",
    "application_step_not_allowed": "application_status",
    "stage_not_allowed": "venture_stage",
}
AMOUNTS = {"amount", "left", "tranche_amount"}  # in MAD
PERCENTS = {"percent", "required"}  # whole percents


def _value(name: str, value: Any, code: str, gettext, formatter: Formatter) -> str:
    kind = NEXT_OF_KIND.get(code) if name in ("new_status", "allowed") else LABELLED.get(name)
    if isinstance(value, list):
        return format_list([_value(name, v, code, gettext, formatter) for v in value], locale=formatter.locale)
    if kind and isinstance(value, str) and value in LABELS[kind]:
        return gettext(LABELS[kind][value])
    if name in AMOUNTS:
        return f"{formatter.money(value)}\u00a0{gettext(N_('MAD'))}"
    if name in PERCENTS and isinstance(value, int):
        return formatter.percent(value / 100)
    if name.endswith("_on") and isinstance(value, str):
        try:
            return formatter.date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, int) and not isinstance(value, bool):
        return formatter.number(value)
    return str(value)


def _fill(text: str, code: str, values: dict[str, Any], gettext, formatter: Formatter) -> str:
    shown = {name: _value(name, value, code, gettext, formatter) for name, value in values.items()}
    return gettext(text) % shown


def refusal_text(body: dict[str, Any], gettext, language: str) -> str | None:
    """A 409 answer (`{detail, code, values, errors?}`) as a sentence in the person's language;
    None when the code is not one the app knows (the caller shows the service's own words)."""
    code = body.get("code")
    if code not in REFUSALS:
        return None
    formatter = Formatter(language)
    values = dict(body.get("values") or {})
    try:
        if code == "completion_rule_unmet":
            parts = []
            for error in body.get("errors") or []:
                known = UNMET.get(error.get("code", ""))
                parts.append(
                    _fill(known, error["code"], error.get("values") or {}, gettext, formatter)
                    if known
                    else str(error.get("reason", ""))
                )
            values["unmet"] = "; ".join(parts)
            return gettext(REFUSALS[code]) % values
        return _fill(REFUSALS[code], code, values, gettext, formatter)
    except (KeyError, ValueError, TypeError):  # the service sent other values than the text names
        return None
