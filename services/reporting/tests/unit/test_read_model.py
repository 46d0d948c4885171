"""Reporting's read model and summary, fed through the in-memory broker."""

from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from prometheus_client.parser import text_string_to_metric_families

from work4life.contracts.envelope import Producer
from work4life.contracts.training import CourseCompleted
from work4life.runtime.events import new_envelope
from work4life.runtime.testing import bearer

from ..conftest import registration, reporting_settings, running, wire

MANAGER = bearer("programme_manager", "lead-ngo", "leila")


@pytest.fixture
async def reporting(sqlite_url):
    async with serving(sqlite_url) as served:
        yield served


@pytest.fixture
async def reporting_anywhere(database_url):
    """`reporting`, once on SQLite and once on PostgreSQL."""
    async with serving(database_url) as served:
        yield served


@asynccontextmanager
async def serving(url: str):
    settings = reporting_settings(database_url=url, create_topics=False, consumer_retry_backoff_s=0)
    broker = KafkaBroker()
    dead_letters: list = []

    @broker.subscriber("reporting.dead_letters")
    async def capture(msg: KafkaMessage) -> None:
        dead_letters.append(msg.raw_message)

    async with TestKafkaBroker(broker), running(settings, broker) as (client, _app):
        yield client, broker, dead_letters


async def publish(broker, envelope) -> None:
    value, key, headers = wire(envelope)
    await broker.publish(value, topic="intake.beneficiaries", key=key, headers=headers)


async def completed(broker, who, on: date, kind: str = "vocational", enrolment: UUID | None = None) -> None:
    """A course completed by `who`, as training tells it (again, if `enrolment` was told before)."""
    value, key, headers = wire(completion(who, on, kind, enrolment))
    await broker.publish(value, topic="training.enrolments", key=key, headers=headers)


def completion(who, on: date, kind: str = "vocational", enrolment: UUID | None = None):
    event = CourseCompleted(
        enrolment_id=enrolment or uuid4(),
        beneficiary_id=who,
        cohort_id=uuid4(),
        course_id=uuid4(),
        course_kind=kind,
        sector="cross_sector",
        region="oriental",
        organisation="ofppt",
        completed_on=on,
        hours=40,
        attendance_rate=0.9,
    )
    return new_envelope(event, key=str(who), producer=Producer(service="training", organisation="ofppt"))


async def summary(client, **params) -> dict:
    response = await client.get("/v1/registrations/summary", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def indicator(client, code: str, **params) -> dict:
    """An indicator's answer, as the programme manager asks for it."""
    answer = await client.get(f"/v1/indicators/{code}", params=params, headers=MANAGER)
    assert answer.status_code == 200, answer.text
    return answer.json()


def cells(answer: dict, name: str) -> dict:
    """An answer's breakdown by one dimension: each cell's value by its `name`."""
    return {cell[name]: cell["value"] for cell in answer["breakdown"]}


async def told_about_venture(broker, event) -> None:
    """An event about a venture, as enterprise tells it for org-x."""
    producer = Producer(service="enterprise", organisation="org-x")
    value, key, headers = wire(new_envelope(event, key=str(event.venture_id), producer=producer))
    await broker.publish(value, topic="enterprise.ventures", key=key, headers=headers)


async def test_registrations_are_counted_by_sex_and_region(reporting):
    client, broker, _ = reporting
    await publish(broker, registration(sex="female", region="oriental"))
    await publish(broker, registration(sex="male", region="oriental"))
    await publish(broker, registration(sex="female", region="rabat_sale_kenitra"))
    assert await summary(client) == {
        "total": 3,
        "by_sex": {"female": 2, "male": 1},
        "by_region": {"oriental": 2, "rabat_sale_kenitra": 1},
    }
    assert (await summary(client, region="oriental"))["total"] == 2


async def test_the_same_event_delivered_twice_is_counted_once(reporting):
    client, broker, _ = reporting
    event = registration()
    await publish(broker, event)
    await publish(broker, event)
    await publish(broker, registration())
    assert (await summary(client))["total"] == 2


async def test_a_malformed_message_is_dead_lettered_and_the_next_good_one_still_counts(reporting):
    client, broker, dead_letters = reporting
    await broker.publish(
        b'{"event_type": "intake.beneficiary_registered", "data": {}}', topic="intake.beneficiaries", key=b"x"
    )
    await publish(broker, registration())
    assert (await summary(client))["total"] == 1
    [dead] = dead_letters
    headers = dict(dead.headers)
    assert headers["w4l-dlq-reason"] == b"invalid_envelope"
    assert headers["w4l-dlq-source-topic"] == b"intake.beneficiaries"
    assert dead.value == b'{"event_type": "intake.beneficiary_registered", "data": {}}'
    metrics = (await client.get("/metrics")).text
    assert (
        'w4l_dead_letters_total{reason="invalid_envelope",service="reporting",source_topic="intake.beneficiaries"} 1.0'
        in metrics
    )


async def test_a_late_older_event_does_not_overwrite_newer_attributes(reporting):
    client, broker, _ = reporting
    person = registration().data.beneficiary_id
    now = datetime.now(UTC)
    await publish(broker, registration(beneficiary_id=person, region="oriental", occurred_at=now))
    await publish(
        broker, registration(beneficiary_id=person, region="fes_meknes", occurred_at=now - timedelta(hours=1))
    )
    assert (await summary(client))["by_region"] == {"oriental": 1}


async def test_summary_filters_are_validated_with_clear_errors(reporting):
    client, _, _ = reporting
    response = await client.get(
        "/v1/registrations/summary", params={"registered_from": "2026-05-01", "registered_to": "2026-04-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "registered_from"
    response = await client.get("/v1/registrations/summary", params={"region": "mars"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "region"


async def test_summary_by_registration_period(reporting):
    client, broker, _ = reporting
    await publish(broker, registration(registered_on="2026-01-15"))
    await publish(broker, registration(registered_on="2026-02-15"))
    assert (await summary(client, registered_from="2026-02-01", registered_to="2026-02-28"))["total"] == 1


async def test_a_moved_person_is_counted_in_their_new_region_and_a_new_legal_status(reporting):
    from work4life.contracts.envelope import Producer
    from work4life.contracts.intake import BeneficiaryUpdated, LegalStatusChanged
    from work4life.runtime.events import new_envelope

    client, broker, _ = reporting
    first = registration(region="oriental", legal_status="asylum_seeker")
    await publish(broker, first)
    person, producer = first.data.beneficiary_id, Producer(service="intake", organisation="org-a")
    moved = BeneficiaryUpdated(
        **first.data.model_dump(exclude={"registered_on", "legal_status", "region"}),
        region="fes_meknes",
        changed_fields=["region"],
    )
    await publish(broker, new_envelope(moved, key=str(person), producer=producer))
    status = LegalStatusChanged(
        beneficiary_id=person,
        legal_status="refugee",
        previous_legal_status="asylum_seeker",
        effective_on="2026-11-01",
        reason="status_recognised",
    )
    await publish(broker, new_envelope(status, key=str(person), producer=producer))
    assert (await summary(client))["by_region"] == {"fes_meknes": 1}
    assert (await summary(client, region="fes_meknes"))["total"] == 1


async def test_a_person_with_two_kinds_of_course_counts_once_under_the_first(reporting):
    """By an attribute of the facts, a person with several facts in the period counts once, under
    the first: the breakdown still adds up to the total, and the small cells can still be hidden."""
    client, broker, _ = reporting
    twice, once = uuid4(), uuid4()
    for who in (twice, once):
        await publish(broker, registration(beneficiary_id=who))

    await completed(broker, twice, date(2026, 3, 20), "vocational")
    await completed(broker, twice, date(2026, 3, 5), "digital")  # told later, happened first
    await completed(broker, once, date(2026, 3, 10), "vocational")
    params = {"period": "month:2026-03", "by": "course_kind"}
    got = (await client.get("/v1/indicators/1.4", params=params, headers=MANAGER)).json()
    assert got["total"] == 2
    assert {c["course_kind"]: c["value"] for c in got["breakdown"]} == {"digital": 1, "vocational": 1}
    params = {"period": "month:2026-03", "by": "course_kind,sex"}
    got = (await client.get("/v1/indicators/1.4", params=params, headers=MANAGER)).json()
    assert sum(c["value"] for c in got["breakdown"]) == 2
    wrong = await client.get("/v1/indicators/3.2", params={"by": "course_kind"}, headers=MANAGER)
    assert wrong.status_code == 422 and "not by course_kind" in wrong.text


async def test_what_keeping_the_rollups_costs_is_on_metrics(reporting):
    """Ops see the roll-ups' share of each batch: its time and the people it recounted (each
    message of the in-memory broker is a batch of its own)."""
    client, broker, _ = reporting

    def figures(text: str) -> dict[tuple[str, str], float]:
        return {
            (sample.name, sample.labels.get("what", "")): sample.value
            for family in text_string_to_metric_families(text)
            if family.name.startswith("w4l_reporting_rollups")
            for sample in family.samples
        }

    before = figures((await client.get("/metrics")).text)
    assert before[("w4l_reporting_rollups_recounted_total", "people")] == 0
    assert before[("w4l_reporting_rollups_duration_seconds_count", "")] == 0
    who = uuid4()
    await publish(broker, registration(beneficiary_id=who))
    await completed(broker, who, date(2026, 3, 20))
    after = figures((await client.get("/metrics")).text)
    assert after[("w4l_reporting_rollups_recounted_total", "people")] == 2  # once a batch
    assert after[("w4l_reporting_rollups_recounted_total", "ventures")] == 0
    assert after[("w4l_reporting_rollups_duration_seconds_count", "")] == 2
    assert after[("w4l_reporting_rollups_duration_seconds_sum", "")] > 0


async def test_the_indicator_definitions_name_each_indicator_its_rule_and_dimensions(reporting):
    from work4life.reporting.service_layer.indicators import INDICATORS

    client, _, _ = reporting
    answer = await client.get("/v1/indicator-definitions", headers=MANAGER)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [i["code"] for i in items] == [i.code for i in INDICATORS]
    by_code = {i["code"]: i for i in items}
    assert by_code["1.4"]["dimensions"][-1] == "course_kind" and by_code["3.3"]["dimensions"] == [
        "region",
        "organisation",
    ]
    assert by_code["retention_3m"]["unit"] == "percent" and "3-month check" in by_code["retention_3m"]["rule"]


async def test_the_rollups_follow_late_events_moves_erasures_and_merges(reporting_anywhere, database_url):
    """Each path that changes who counts, where and since when, one after the other: after each,
    the roll-ups equal a recount from the facts, and the programme-to-date answers (read from
    them) say what happened. On both databases: on PostgreSQL the facts' upsert itself tells a
    fact told again from a new one."""
    from sqlmodel import Session, create_engine

    from work4life.contracts.intake import BeneficiariesMerged, BeneficiaryErased, BeneficiaryUpdated
    from work4life.reporting.service_layer.indicators import Period, rolled_up_answer

    from ..conftest import rollups_and_a_recount

    client, broker, _ = reporting_anywhere
    intake = Producer(service="intake", organisation="org-a")
    late, mover, erased, retired, kept = (uuid4() for _ in range(5))

    async def still_a_recount() -> None:
        kept_rows, recounted = rollups_and_a_recount(database_url)
        assert kept_rows == recounted
        with Session(create_engine(database_url)) as session:  # and the answers above came from them
            assert rolled_up_answer(session, Period(None, date.today()), ["sex", "region"])

    # A course completed before reporting knows the person: counted as unknown, then placed.
    await completed(broker, late, date(2026, 3, 10))
    assert cells(await indicator(client, "1.4", by="region"), "region") == {"unknown": 1}
    await publish(broker, registration(beneficiary_id=late, region="fes_meknes"))
    assert cells(await indicator(client, "1.4", by="region"), "region") == {"fes_meknes": 1}
    await still_a_recount()

    # A completion told later that happened earlier moves the first day back a month.
    for who in (mover, erased, retired, kept):
        await publish(broker, registration(beneficiary_id=who, sex="male"))
        await completed(broker, who, date(2026, 3, 20))
    assert (await indicator(client, "1.4", to="2026-02-28"))["total"] == 0
    await completed(broker, mover, date(2026, 2, 5))
    assert (await indicator(client, "1.4", to="2026-02-28"))["total"] == 1
    assert (await indicator(client, "1.4", to="2026-02-04"))["total"] == 0
    await still_a_recount()

    # The person moves region: the table follows, and repeating the move changes nothing.
    moved = BeneficiaryUpdated(
        **registration(beneficiary_id=mover, sex="male").data.model_dump(
            exclude={"registered_on", "legal_status", "region"}
        ),
        region="souss_massa",
        changed_fields=["region"],
    )
    for _ in range(2):
        await publish(broker, new_envelope(moved, key=str(mover), producer=intake))
    assert cells(await indicator(client, "1.4", by="region"), "region") == {
        "fes_meknes": 1,
        "oriental": 3,
        "souss_massa": 1,
    }
    await still_a_recount()

    # An erasure keeps the person counted under a stand-in; a merge counts two records once.
    await publish(
        broker,
        new_envelope(
            BeneficiaryErased(beneficiary_id=erased, erased_on=date(2026, 4, 1)), key=str(erased), producer=intake
        ),
    )
    merge = BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=date(2026, 4, 2))
    await publish(broker, new_envelope(merge, key=str(kept), producer=intake))
    answer = await indicator(client, "1.4", by="sex,region")
    assert answer["total"] == 4
    assert sum(cell["value"] for cell in answer["breakdown"]) == 4
    assert cells(await indicator(client, "1.4", by="sex"), "sex") == {"female": 1, "male": 3}
    await still_a_recount()
    await completed(broker, erased, date(2026, 1, 2))  # late news of the erased person lands on the stand-in
    assert (await indicator(client, "1.4", to="2026-01-31"))["total"] == 1
    await still_a_recount()

    # A completion told again, corrected to a later day: the person's first day moves forward.
    corrected, enrolment = uuid4(), uuid4()
    await publish(broker, registration(beneficiary_id=corrected, sex="male"))
    await completed(broker, corrected, date(2026, 1, 10), enrolment=enrolment)
    assert (await indicator(client, "1.4", to="2026-01-31"))["total"] == 2
    await completed(broker, corrected, date(2026, 5, 10), enrolment=enrolment)
    assert (await indicator(client, "1.4", to="2026-01-31"))["total"] == 1
    assert (await indicator(client, "1.4", to="2026-05-31"))["total"] == 5
    await still_a_recount()


def test_a_batch_rolled_back_after_its_rollups_leaves_the_next_one_right(database_url):
    """A batch whose commit fails after the roll-ups' commit hook ran is rolled back with all the
    hook did (its rows and the making of its temporary tables): the next batch, on the same
    database connection, keeps roll-ups that equal a recount, without the batch undone."""
    from sqlmodel import Session

    from work4life.reporting.adapters import write_behind
    from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
    from work4life.reporting.service_layer import rollups
    from work4life.runtime import db, migrations

    from ..conftest import rollups_and_a_recount

    engine = db.make_engine(database_url, pool_size=1)  # one connection: the next batch gets it back
    migrations.upgrade(engine, "work4life.reporting")
    rollups.prepare(engine, True)
    handlers = {(kind.EVENT_TYPE, kind.SCHEMA_VERSION): handle for kind, handle in EVENT_HANDLERS.items()}

    def batch(session: Session, who: UUID) -> None:
        for envelope in (registration(beneficiary_id=who), completion(who, date(2026, 3, 10))):
            handlers[(envelope.event_type, envelope.schema_version)](envelope, session)

    undone, told = uuid4(), uuid4()
    try:
        with Session(engine) as session:
            batch(session, undone)
            write_behind.flush(session)  # what a commit runs before it is written
            rollups.refresh(session)
            session.rollback()
        with Session(engine) as session:
            batch(session, told)
            session.commit()
    finally:
        engine.dispose()
    kept, recounted = rollups_and_a_recount(database_url)
    assert kept == recounted
    assert {row[0] for row in kept["person_month"]} == {told}


def test_a_write_of_facts_tells_the_hooks_the_new_ones_by_key_and_who_was_told_again(database_url):
    """The commit hook recounts a person from their new facts alone, looked up by their rows' keys,
    unless a fact of theirs was told again (then from all their facts). The write of the facts tells
    which are which: on SQLite the rows after the last key before it, on PostgreSQL what its upsert
    returns. A new fact beside one told again in the same batch is still new."""
    from sqlmodel import Session, select

    from work4life.reporting.adapters import write_behind
    from work4life.reporting.adapters.orm import Activity
    from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
    from work4life.reporting.service_layer import rollups
    from work4life.runtime import db, migrations

    engine = db.make_engine(database_url, pool_size=1)
    migrations.upgrade(engine, "work4life.reporting")
    rollups.prepare(engine, True)
    handlers = {(kind.EVENT_TYPE, kind.SCHEMA_VERSION): handle for kind, handle in EVENT_HANDLERS.items()}
    first, again, later = uuid4(), uuid4(), uuid4()
    enrolment = uuid4()

    def written(*envelopes) -> tuple[dict[int, UUID], set[UUID]]:
        with Session(engine) as session:
            for envelope in envelopes:
                handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
            write_behind.flush(session)
            new = write_behind.take_new_facts(session)
            explicitly = write_behind.take_touched_by(session).get(write_behind.EXPLICITLY, set())
            session.commit()
        return new, explicitly

    def keys(*people: UUID) -> dict[int, UUID]:
        with Session(engine) as session:
            rows = session.exec(select(Activity.id, Activity.beneficiary_id).where(Activity.beneficiary_id.in_(people)))
            return {key: who for key, who in rows}

    try:
        new, explicitly = written(
            completion(first, date(2026, 3, 10)), completion(again, date(2026, 3, 10), enrolment=enrolment)
        )
        assert new == keys(first, again) and len(new) == 2 and explicitly == set()
        new, explicitly = written(
            completion(again, date(2026, 4, 2), enrolment=enrolment), completion(later, date(2026, 4, 2))
        )
        assert new == keys(later) and len(new) == 1
        assert explicitly == {again}
    finally:
        engine.dispose()


def _reads_of_the_facts(connection, statement, parameters) -> list[str]:
    """How `statement` reads the facts, as the database plans it with `parameters` (the lines of its
    plan that scan them or their indexes): runs it, then asks for the plan of the SQL and the
    parameters it ran with."""
    from sqlalchemy import event

    ran: list = []

    def capture(_connection, _cursor, sql, positional, *_) -> None:
        ran.append((sql, positional))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        connection.execute(statement, parameters)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    sql, positional = ran[0]
    if connection.dialect.name == "sqlite":
        return [
            row[3]
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", positional)
            if " activity " in f"{row[3]} "
        ]
    plan = [row[0].strip() for row in connection.exec_driver_sql(f"EXPLAIN {sql}", positional)]
    return [line for line in plan if "Scan" in line and "activity" in line]


def test_a_recount_reads_only_its_own_peoples_and_units_facts_on_sqlite(sqlite_url):
    """SQLite keeps no statistics, and sees through `likely()`: a recount of a few ventures whose
    condition on the kind was a way in read every fact of that kind, a cost that grew with the
    programme (at 32,000 people 368 ms a run against 52 ms through the unit's index,
    docs/PERFORMANCE.md). Each recount reads the facts through the index on its people or units."""
    from work4life.reporting.service_layer import rollups
    from work4life.runtime import db, migrations

    engine = db.make_engine(sqlite_url)
    migrations.upgrade(engine, "work4life.reporting")
    none = db.listed("sqlite", "ids", [])
    people = rollups._people_statements("sqlite")
    recounts = [
        (rollups._recount_units("sqlite"), none, "USING INDEX ix_activity_venture_unit "),
        (rollups._recount_sums("sqlite"), none, "USING INDEX ix_activity_summed_unit "),
        (rollups._visits_query("sqlite"), none, "USING INDEX ix_activity_summed_unit "),
        (rollups._statements_for_checks("sqlite")[1], none, "USING INDEX ix_activity_beneficiary "),
        (people.recount, none, "USING INDEX ix_activity_beneficiary "),
        (people.add, {**none, "all_rows": "[]", "facts": "[]"}, "USING INTEGER PRIMARY KEY "),  # by key
    ]
    try:
        with engine.begin() as connection:
            for shape in rollups.SHAPES:
                for create in rollups._create(shape, connection.dialect):
                    connection.exec_driver_sql(create)
            for statement, parameters, way in recounts:
                reads = _reads_of_the_facts(connection, statement, parameters)
                assert reads and all(way in read for read in reads), (way, reads)
    finally:
        engine.dispose()


def test_a_recount_of_retention_checks_reads_its_peoples_facts_on_postgresql(postgres_server_url):
    """PostgreSQL plans with the statistics it gathered last. While a projection is young they
    count no retention check (those come months after a placement), and a recount whose condition
    on the kind was a way in read every retention check through the index on the kind, for each
    chunk of people (at 32,000 people 1,388 ms a run, docs/PERFORMANCE.md). With statistics
    gathered before any check, the recount of a few people still reads their facts through the
    index on the person."""
    from sqlalchemy import insert

    from work4life.reporting.adapters.orm import Activity
    from work4life.reporting.service_layer import rollups
    from work4life.runtime import db, migrations
    from work4life.runtime.db import table
    from work4life.runtime.testing import fresh_postgres_database

    engine = db.make_engine(fresh_postgres_database(postgres_server_url))
    migrations.upgrade(engine, "work4life.reporting")
    people = [uuid4() for _ in range(3000)]

    def facts(kind: str) -> list[dict]:
        on = datetime(2026, 1, 5, tzinfo=UTC)
        return [
            {
                "fact_id": f"{kind}:{who}",
                "kind": kind,
                "beneficiary_id": who,
                "occurred_on": on.date(),
                "months": 3,
                "value": 0,
                "value_eur": 0,
                "as_of": on,
            }
            for who in people
        ]

    try:
        with engine.begin() as connection:
            connection.execute(insert(table(Activity)), facts("registered"))
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE activity")
            connection.execute(insert(table(Activity)), facts("retention"))
            for create in rollups._create(rollups.CHECKS_SHAPE, connection.dialect):
                connection.exec_driver_sql(create)
            recount = rollups._statements_for_checks("postgresql")[1]
            reads = _reads_of_the_facts(connection, recount, db.listed("postgresql", "ids", people[:40]))
        assert any("ix_activity_beneficiary" in read for read in reads), reads
        assert not any("ix_activity_kind" in read or "Seq Scan" in read for read in reads), reads
    finally:
        engine.dispose()


async def test_the_ventures_rollups_follow_a_venture_told_out_of_order(reporting, sqlite_url):
    """A venture whose acceleration reaches reporting before its application (a replay from a
    truncated topic) has facts under two organisations: "unknown", then its own. It counts once
    without a filter, under its first fact; under its own organisation's first fact with one. The
    answers come from the roll-ups and equal the facts' answers, and a launch told twice changes
    nothing."""
    from sqlmodel import Session, create_engine

    from work4life.contracts.enterprise import VentureApplied, VentureLaunched, VentureStageChanged
    from work4life.reporting.service_layer.indicators import (
        BY_CODE,
        ROLLED_UP_UNIT_DIMENSIONS,
        Period,
        rolled_up_answer,
        units_from_facts,
    )

    from ..conftest import rollups_and_a_recount

    client, broker, _ = reporting
    early, plain = uuid4(), uuid4()
    common = {"members": [], "other_members": 0}

    def applied(venture, on: date) -> VentureApplied:
        return VentureApplied(
            venture_id=venture,
            kind="micro_enterprise",
            sector="agrifood",
            region="oriental",
            organisation="org-x",
            applied_on=on,
            **common,
        )

    def launched(venture, on: date) -> VentureLaunched:
        return VentureLaunched(
            venture_id=venture,
            kind="micro_enterprise",
            legal_form="sarl",
            registered_on=on,
            region="souss_massa",
            sector="agrifood",
            **common,
        )

    await told_about_venture(
        broker,
        VentureStageChanged(
            venture_id=early,
            stage="acceleration",
            previous_stage="incubation",
            changed_on=date(2026, 1, 10),
            by_committee=True,
            **common,
        ),
    )
    await told_about_venture(broker, applied(early, date(2025, 11, 3)))
    await told_about_venture(broker, applied(plain, date(2026, 1, 20)))
    for _ in range(2):
        await told_about_venture(broker, launched(early, date(2026, 2, 1)))
    await told_about_venture(broker, launched(plain, date(2026, 3, 5)))

    assert cells(await indicator(client, "1.2", by="organisation"), "organisation") == {"unknown": 1, "org-x": 1}
    assert cells(await indicator(client, "1.2", by="region", organisation="org-x"), "region") == {"souss_massa": 2}
    assert (await indicator(client, "1.2", to="2026-02-28", organisation="org-x"))["total"] == 1
    assert (await indicator(client, "1.2", to="2026-01-31"))["total"] == 1
    kept, recounted = rollups_and_a_recount(sqlite_url)
    assert kept == recounted
    assert len(kept["indicator_unit"]) == 3 + 2  # 1.2: two rows for the early venture; created: one each
    engine = create_engine(sqlite_url)
    with Session(engine) as session:
        assert rolled_up_answer(session, Period(None, date.today()), ["region"], dimensions=ROLLED_UP_UNIT_DIMENSIONS)
        for organisation in (None, "org-x"):
            for by in ([], ["organisation"], ["region", "venture_kind"]):
                facts = units_from_facts(session, BY_CODE["1.2"], Period(None, date.today()), by, organisation)
                params = {"by": ",".join(by)} if by else {}
                answer = await indicator(
                    client, "1.2", **params, **({"organisation": organisation} if organisation else {})
                )
                assert answer["total"] == facts.total
                assert [{k: v for k, v in c.items() if k in (*by, "value")} for c in answer["breakdown"]] == [
                    {k: v for k, v in c.items()} for c in facts.breakdown
                ]
    engine.dispose()


async def test_the_latest_visits_jobs_follow_a_venture_visited_under_two_organisations(reporting, sqlite_url):
    """1.1 counts the jobs of each venture at its latest follow-up visit (most months after launch).
    A 12-month visit told before the venture is known has no organisation ("unknown"); the 6-month
    one, told later, names its own. Without a filter the latest is the 12-month visit from the day
    it was made; with the organisation's filter only its own visits count. The roll-ups keep both
    chains, and every answer equals the count from the facts."""
    from sqlmodel import Session, create_engine

    from work4life.contracts.enterprise import FollowUpRecorded, VentureApplied
    from work4life.reporting.service_layer.indicators import LIVE, Period, Source, compute, rolled_up_answer

    from ..conftest import rollups_and_a_recount

    client, broker, _ = reporting
    venture = uuid4()
    common = {"venture_id": venture, "members": [], "other_members": 0}

    def visit(months: int, on: date, active: bool, jobs: int) -> FollowUpRecorded:
        return FollowUpRecorded(
            visit_id=uuid4(),
            months_after_launch=months,
            visited_on=on,
            active=active,
            revenue_band="under_2000",
            jobs_owners=1 if jobs else 0,
            jobs_employees=max(jobs - 1, 0),
            **common,
        )

    await told_about_venture(broker, visit(12, date(2026, 3, 1), True, 5))  # before reporting knows the venture
    await told_about_venture(
        broker,
        VentureApplied(
            kind="micro_enterprise",
            sector="agrifood",
            region="oriental",
            organisation="org-x",
            applied_on=date(2025, 1, 6),
            **common,
        ),
    )
    for _ in range(2):  # told twice
        await told_about_venture(broker, visit(6, date(2026, 1, 15), True, 3))
    await told_about_venture(broker, visit(24, date(2026, 9, 1), False, 0))

    assert (await indicator(client, "1.1", to="2026-01-14"))["total"] == 0
    assert (await indicator(client, "1.1", to="2026-02-28"))["total"] == 3
    assert cells(await indicator(client, "1.1", to="2026-06-30", by="organisation"), "organisation") == {"unknown": 5}
    assert (await indicator(client, "1.1", to="2026-06-30", organisation="org-x"))["total"] == 3
    assert (await indicator(client, "1.1", to="2026-09-01"))["total"] == 0  # the latest visit found it closed
    kept, recounted = rollups_and_a_recount(sqlite_url)
    assert kept == recounted
    assert {row[2] for row in kept["summed_unit"] if row[1] == "latest_jobs"} == {"all", "org"}
    engine = create_engine(sqlite_url)
    facts = Source(LIVE.activity, LIVE.person)
    with Session(engine) as session:
        assert rolled_up_answer(session, Period(None, date(2026, 6, 30)), ["region"], from_start=False)
        for end in (date(2026, 1, 15), date(2026, 2, 28), date(2026, 3, 1), date(2026, 6, 30), date(2026, 12, 31)):
            for organisation in (None, "org-x"):
                for by in ([], ["organisation"], ["region"]):
                    period = Period(None, end)
                    expected = compute(session, "1.1", period, by, organisation, source=facts)
                    assert compute(session, "1.1", period, by, organisation) == expected, (end, organisation, by)
    engine.dispose()
