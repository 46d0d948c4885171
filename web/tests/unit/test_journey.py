"""A person's journey is put in time order across the services' answers, whatever order the
services answer in, and a service that showed nothing adds nothing."""

from work4life.web.pages.journey import path_of

PERSON = "4f6c1c2e-0000-4000-8000-000000000001"
FILE = {
    "person": {"registered_on": "2026-01-10", "partner_organisation": "amappe-rabat"},
    "legal_status": [{"legal_status": "refugee", "effective_on": "2026-05-02", "reason": "status_recognised"}],
    "assessments": [{"assessed_on": "2026-01-12"}],
    "referrals": [
        {"service": "employment", "reason": "job_placement", "made_on": "2026-02-01",
         "status": "accepted", "status_changed_on": "2026-03-03"},
    ],
}  # fmt: skip
PLACEMENTS = {
    "items": [
        {"offer_id": "o1", "offer_title": "Commis", "employer_name": "Hôtel Atlas", "starts_on": "2026-03-15",
         "left_on": None, "retention_checks": [
             {"months_after_start": 3, "checked_on": "2026-06-16", "outcome": "still_employed"},
             {"months_after_start": 6, "checked_on": None, "outcome": None}]},
    ]
}  # fmt: skip


def test_the_steps_of_every_service_are_put_in_time_order():
    steps = path_of(PERSON, FILE, None, None, PLACEMENTS)
    assert [(s.on, s.service) for s in steps] == [
        ("2026-01-10", "intake"),
        ("2026-01-12", "intake"),
        ("2026-02-01", "intake"),
        ("2026-03-03", "employment"),  # the referral's answer, from the service that answered
        ("2026-03-15", "employment"),
        ("2026-05-02", "intake"),
        ("2026-06-16", "employment"),
    ]
    assert steps[-1].values == {"months": 3, "outcome": "still_employed"}, "a call not made yet is no step"


def test_what_a_service_did_not_show_adds_nothing():
    assert path_of(PERSON, None, None, None, None) == []
    assert {s.service for s in path_of(PERSON, None, None, None, PLACEMENTS)} == {"employment"}
