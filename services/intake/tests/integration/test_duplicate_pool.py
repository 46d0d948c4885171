"""The duplicate check at registration reads only the people who could reach the threshold with
the newcomer (a shared contact, or a birth date that counts as evidence): it must flag exactly
whom comparing with every registered person flags, on both databases."""

import importlib.util
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Producer
from work4life.intake.adapters.orm import Beneficiary
from work4life.intake.domain import duplicates as matcher
from work4life.intake.domain.model import BeneficiaryBase, ConsentRequest
from work4life.intake.service_layer import duplicates, handlers
from work4life.runtime import db, migrations
from work4life.runtime.auth import Principal, Role

from ..conftest import TODAY

pytestmark = pytest.mark.integration

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "duplicates.py"


def _generated_people():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("duplicates_benchmark", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    records, _ = benchmark.generate(people=400, duplicate_share=0.2, seed=5)
    return records


def _registration(key: matcher.PersonKey) -> handlers.RegisterBeneficiary:
    details = BeneficiaryBase.model_validate(
        {
            "given_name": key.given_name,
            "family_name": key.family_name,
            "given_name_ar": key.given_name_ar,
            "family_name_ar": key.family_name_ar,
            "sex": key.sex,
            "date_of_birth": key.date_of_birth,
            "nationality": key.nationality,
            "legal_status": "regular_migrant",
            "region": "oriental",
            "city": "Oujda",
            "phone": key.phone,
            "document_type": "passport" if key.document_number else None,
            "document_number": key.document_number,
            "partner_organisation": "amappe-rabat",
        }
    )
    return handlers.RegisterBeneficiary(details, [ConsentRequest.model_validate({"purpose": "service_delivery"})])


def test_the_registration_pool_flags_whom_comparing_with_everyone_flags(database_url):
    engine = db.make_engine(database_url)
    migrations.upgrade(engine, "work4life.intake")
    context = handlers.Context(
        producer=Producer(service="intake", organisation="work4life"),
        minimum_age=15,
        topic_name=lambda name: name,
        today=lambda: TODAY,
    )
    who = Principal(subject="pool-test", role=Role.CASEWORKER, organisation="amappe-rabat")
    records = _generated_people()
    for key in records:
        with Session(engine) as session:
            handlers.register_beneficiary(handlers.Work.for_request(session, context, who, None), _registration(key))

    with Session(engine) as session:
        people = list(session.exec(select(Beneficiary).order_by(col(Beneficiary.id))))
        everyone = [duplicates.key_of(p) for p in people]
        by_id = {p.id: p for p in people}
        flagged = adjacent_years = 0
        for person, key in zip(people, everyone, strict=True):
            got = sorted((other.id, match.score) for other, match in duplicates.candidates_for(session, person))
            expected = sorted((m.ref, m.score) for m in matcher.candidates(key, everyone, limit=len(everyone)))
            assert got == expected, (person.id, got, expected)
            flagged += len(got)
            adjacent_years += sum(by_id[ref].birth_year != person.birth_year for ref, _ in got)
    engine.dispose()
    assert len(people) == len(records) and flagged > 50
    assert adjacent_years > 0  # pairs one year apart on the same day were among them
